/**
 * CDK for Terraform: declare nested virtualization on an existing EC2 instance.
 *
 *     NESTEDVIRT_INSTANCE_ID=i-0123456789abcdef0 cdktf deploy     # or: node main.js, then terraform in cdktf.out/stacks/kvm-runner
 *
 * Without NESTEDVIRT_INSTANCE_ID the stack declares a Terraform variable `instance_id`, set at
 * plan time (`TF_VAR_instance_id=i-…`). The `nestedvirt` provider must be installable by the CLI:
 * see docs/index.md (dev_overrides or a filesystem mirror; no registry needed).
 */
import { App, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { NestedVirtEnablement, NestedvirtProvider, type OnDeleteBehaviour } from "nestedvirt/cdktf";

export interface KvmRunnerStackOptions {
  /** The instance to prepare for KVM / Hyper-V guests; a Terraform variable when absent. */
  instanceId?: string;
  /** Provider settings; all default to the AWS SDK chain (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_EC2). */
  region?: string;
  profile?: string;
  endpoint?: string;
  onDelete?: OnDeleteBehaviour;
}

export class KvmRunnerStack extends TerraformStack {
  readonly enablement: NestedVirtEnablement;

  constructor(scope: Construct, id: string, options: KvmRunnerStackOptions = {}) {
    super(scope, id);

    new NestedvirtProvider(this, "nestedvirt", {
      region: options.region,
      profile: options.profile,
      endpoint: options.endpoint,
    });

    const instanceId =
      options.instanceId ??
      new TerraformVariable(this, "instance_id", {
        type: "string",
        description: "ID of the EC2 instance to enable nested virtualization on.",
      }).stringValue;

    this.enablement = new NestedVirtEnablement(this, "runner-kvm", {
      instanceId,
      nestedVirtualization: "enabled",
      onDelete: options.onDelete ?? "keep",
      timeouts: { stop: "15m", start: "15m" },
    });

    new TerraformOutput(this, "nested_virtualization", { value: this.enablement.nestedVirtualization });
    new TerraformOutput(this, "instance_state", { value: this.enablement.instanceState });
    new TerraformOutput(this, "warnings", { value: this.enablement.warnings });
    new TerraformOutput(this, "last_cycle", {
      value: this.enablement.lastCycle,
      description: "Timestamps and downtime of the last cycle; null when none was needed.",
    });
  }
}

if (require.main === module) {
  const app = new App();
  new KvmRunnerStack(app, "kvm-runner", {
    instanceId: process.env.NESTEDVIRT_INSTANCE_ID,
    region: process.env.AWS_REGION,
    endpoint: process.env.NESTEDVIRT_EC2_ENDPOINT,
  });
  app.synth();
}
