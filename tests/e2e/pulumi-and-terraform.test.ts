import { expect } from "chai";
import { type Ec2Emulator, mostNotRunningAtOnce, startEmulator } from "../../emulator";
import { GROUP_TAG_KEY, JOURNAL_TAG_KEY, SLOT_TAG_KEY } from "../../provider/engine";
import type { PulumiWorkspace } from "../../tools/cli/pulumi";
import type { RunResult } from "../../tools/cli/run";
import type { TerraformWorkspace } from "../../tools/cli/terraform";
import { setStackConfig } from "./support/emulated-stacks";
import { createPulumiProject, type PulumiProject } from "./support/pulumi-project";
import { configuration, createTerraformProject, type TerraformProject } from "./support/terraform-project";

const GROUP = "runners";
const MAX_UNAVAILABLE = 3;

/**
 * Pulumi and Terraform runs at the same time on one account and region (one emulator): the real
 * Pulumi CLI with the dynamic resource from the packed package, and the real Terraform CLI with the
 * provider from it. The runs share nothing but EC2, as two CI jobs would.
 */
describe("Pulumi and Terraform runs at once on the same instances", function () {
  this.timeout(20 * 60 * 1000);
  let pulumi: PulumiProject;
  let terraform: TerraformProject;
  let emulator: Ec2Emulator;

  before(async function () {
    this.timeout(30 * 60 * 1000);
    pulumi = createPulumiProject();
    terraform = createTerraformProject();
    emulator = await startEmulator({ stoppingMs: 300, pendingMs: 300 });
  });
  after(async () => {
    await emulator?.close();
    pulumi?.dispose();
    terraform?.dispose();
  });

  async function stack(name: string, config: Record<string, unknown>): Promise<PulumiWorkspace> {
    const workspace = pulumi.workspace(name, emulator.endpoint);
    await workspace.initStack();
    await setStackConfig(workspace, config);
    return workspace;
  }

  function pulumiUp(workspace: PulumiWorkspace): Promise<RunResult> {
    return workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
  }

  function terraformApply(workspace: TerraformWorkspace): Promise<RunResult> {
    return workspace.ok(["apply", "-auto-approve"]);
  }

  const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it("a pulumi up and a terraform apply of the same change on one instance: one stop, both report the live setting", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "m8i.large",
      state: "running",
      nestedVirtualization: "disabled",
      stoppingMs: 1000,
      pendingMs: 1000,
    });
    const viaPulumi = await stack("twin", { instanceIds: [instanceId] });
    const viaTerraform = terraform.workspace("twin");
    viaTerraform.writeFile("main.tf", configuration(emulator.endpoint, [{ name: "kvm", instanceId }]));
    emulator.resetCalls();

    await Promise.all([pulumiUp(viaPulumi), terraformApply(viaTerraform)]);

    // What EC2 saw: exactly one stop/modify/start, no tag left behind.
    const actions = emulator.mutatingCalls().map((c) => c.action);
    expect(actions.filter((a) => a === "StopInstances")).to.have.length(1);
    expect(actions.filter((a) => a === "ModifyInstanceCpuOptions")).to.have.length(1);
    const live = emulator.instance(instanceId);
    expect([live.state, live.nestedVirtualization]).to.deep.equal(["running", "enabled"]);
    expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
    // What the users see: both tools report the live setting.
    expect((await viaPulumi.outputs()).nestedVirtualizationSetting).to.equal("enabled");
    const state = await viaTerraform.stateResources();
    expect(state["nestedvirt_enablement.kvm"]?.values).to.deep.include({
      nested_virtualization: "enabled",
      instance_state: "running",
    });
  });

  // tests/integration/shared-rollout.test.ts runs the same bound with two processes at 4 offsets.
  for (const offsetMs of [0, 1000]) {
    it(`two pulumi up (two stacks) and one terraform apply, one group of 12, maxUnavailable ${MAX_UNAVAILABLE}, started ${offsetMs} ms apart: never more than ${MAX_UNAVAILABLE} down, all enabled`, async () => {
      const ids = Array.from({ length: 12 }, () =>
        emulator.addInstance({ instanceType: "m8i.large", state: "running", nestedVirtualization: "disabled" }),
      );
      // Interleaved shares, so the three runs compete for the same slots from the start.
      const share = (run: number) => ids.filter((_, i) => i % 3 === run);
      const group = { rolloutGroup: GROUP, maxUnavailable: MAX_UNAVAILABLE };
      const stacks = [
        await stack(`fleet-a-${offsetMs}`, { instanceIds: share(0), ...group }),
        await stack(`fleet-b-${offsetMs}`, { instanceIds: share(1), ...group }),
      ];
      const viaTerraform = terraform.workspace(`fleet-${offsetMs}`);
      viaTerraform.writeFile(
        "main.tf",
        configuration(
          emulator.endpoint,
          share(2).map((instanceId, index) => ({ name: `kvm_${index}`, instanceId, ...group })),
        ),
      );
      emulator.resetCalls();

      await Promise.all([
        pulumiUp(stacks[0]),
        delay(offsetMs).then(() => terraformApply(viaTerraform)),
        delay(2 * offsetMs).then(() => pulumiUp(stacks[1])),
      ]);

      // What EC2 saw: at most 3 of the group down at any moment, each instance stopped once, no tag left.
      expect(mostNotRunningAtOnce(emulator.stateHistory(ids))).to.be.at.most(MAX_UNAVAILABLE);
      for (const id of ids) {
        const instance = emulator.instance(id);
        expect(instance, id).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
        for (const key of [JOURNAL_TAG_KEY, GROUP_TAG_KEY, SLOT_TAG_KEY])
          expect(instance.tags, id).to.not.have.property(key);
        const stops = emulator
          .mutatingCalls()
          .filter((c) => c.action === "StopInstances" && c.instanceIds.includes(id));
        expect(stops, id).to.have.length(1);
      }
      // What the users see: every run reports the live setting.
      for (const workspace of stacks)
        expect((await workspace.outputs()).nestedVirtualizationSetting).to.equal("enabled");
      const resources = Object.values(await viaTerraform.stateResources());
      expect(resources.map((r) => r.values?.nested_virtualization)).to.deep.equal(share(2).map(() => "enabled"));
    });
  }
});
