import * as pulumi from "@pulumi/pulumi";

// The benchmark's baseline: the same number of resources as the NestedVirtEnablement stack, under
// the same CLI, but a create that makes no EC2 call and only sleeps for its instance's stop and start
// transitions. Its wall time is what Pulumi itself adds to the floor.
const cycleMs = new pulumi.Config().requireObject<number[]>("cycleMs");

const sleeper: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { ms: number; index: number }) {
    await new Promise((resolve) => setTimeout(resolve, inputs.ms));
    return { id: `baseline-${inputs.index}`, outs: inputs };
  },
};

class Sleep extends pulumi.dynamic.Resource {
  constructor(name: string, props: { ms: number; index: number }) {
    super(sleeper, name, props);
  }
}

for (const [index, ms] of cycleMs.entries()) new Sleep(`baseline-${index}`, { ms, index });
