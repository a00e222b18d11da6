import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformOutput, TerraformStack, Testing } from "cdktf";
import { expect } from "chai";
import { type Ec2Emulator, startEmulator } from "../../emulator";
import { KvmRunnerStack } from "../../examples/cdktf/main";
import { INPUT_ATTRIBUTES, JOURNAL_TAG_KEY } from "../../provider/engine";
import { PROVIDER_FIELDS } from "../../provider/terraform/schema";
import { NestedVirtEnablement, NestedvirtProvider, PROVIDER_ADDRESS } from "../../sdk/cdktf";
import { repoRoot } from "../../tools/cli/paths";
import { runCommand } from "../../tools/cli/run";
import { createTerraformProject, type TerraformProject } from "./support/terraform-project";

const ID = "i-0123456789abcdef0";
const FULL_CYCLE = ["CreateTags", "StopInstances", "ModifyInstanceCpuOptions", "StartInstances", "DeleteTags"];

interface SynthesizedStack {
  terraform: { required_providers: Record<string, { source: string; version?: string }>; backend?: unknown };
  provider: Record<string, Record<string, unknown>[]>;
  resource: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown }>;
  variable?: Record<string, { type: string }>;
  import?: { to: string; id: string }[];
}

const synth = (stack: TerraformStack) => JSON.parse(Testing.synth(stack)) as SynthesizedStack;

/** The one nestedvirt_enablement of a synthesized stack, whatever CDKTF named it. */
function enablementOf(synthesized: SynthesizedStack): [string, Record<string, unknown>] {
  const entries = Object.entries(synthesized.resource.nestedvirt_enablement ?? {});
  expect(entries).to.have.length(1);
  const [name, attributes] = entries[0];
  const { "//": _metadata, ...rest } = attributes;
  return [name, rest];
}

describe("CDKTF binding (nestedvirt/cdktf): synthesis", () => {
  it("synthesizes the example: provider block, required_providers source, and the resource in snake_case", () => {
    const stack = new KvmRunnerStack(Testing.app(), "kvm-runner", {
      instanceId: ID,
      region: "eu-west-1",
      endpoint: "http://127.0.0.1:4599",
    });
    const synthesized = synth(stack);
    expect(synthesized.terraform.required_providers).to.deep.equal({ nestedvirt: { source: PROVIDER_ADDRESS } });
    expect(synthesized.provider.nestedvirt).to.deep.equal([{ region: "eu-west-1", endpoint: "http://127.0.0.1:4599" }]);
    const [name, attributes] = enablementOf(synthesized);
    expect(attributes).to.deep.equal({
      instance_id: ID,
      nested_virtualization: "enabled",
      on_delete: "keep",
      timeouts: { stop: "15m", start: "15m" },
    });
    expect(synthesized.output).to.deep.include({
      nested_virtualization: { value: `\${nestedvirt_enablement.${name}.nested_virtualization}` },
      instance_state: { value: `\${nestedvirt_enablement.${name}.instance_state}` },
      warnings: { value: `\${nestedvirt_enablement.${name}.warnings}` },
    });
    expect(synthesized.output?.last_cycle.value).to.equal(`\${nestedvirt_enablement.${name}.last_cycle}`);
  });

  it("takes the instance ID from a Terraform variable when the program gives none", () => {
    const synthesized = synth(new KvmRunnerStack(Testing.app(), "kvm-runner"));
    expect(synthesized.variable?.instance_id.type).to.equal("string");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform interpolation, not a JS template
    expect(enablementOf(synthesized)[1].instance_id).to.equal("${var.instance_id}");
    expect(synthesized.provider.nestedvirt).to.deep.equal([{}]);
  });

  it("spells every input with its name from the engine schema, and leaves out what is not set", () => {
    const stack = new TerraformStack(Testing.app(), "all");
    new NestedvirtProvider(stack, "nestedvirt");
    new NestedVirtEnablement(stack, "kvm", {
      instanceId: ID,
      nestedVirtualization: "disabled",
      region: "us-west-2",
      allowAutoScalingGroupMember: true,
      autoScaling: "allow",
      stopProtection: "lift",
      onDelete: "restore",
      timeouts: { stop: "90s", start: "20m", healthy: "5m" },
      waitForStatusChecks: true,
      verifyInGuest: true,
      rolloutGroup: "runners",
      maxUnavailable: 3,
    });
    const [, attributes] = enablementOf(synth(stack));
    expect(Object.keys(attributes).sort()).to.deep.equal(INPUT_ATTRIBUTES.map((a) => a.tfName).sort());
    expect(attributes).to.deep.equal({
      instance_id: ID,
      nested_virtualization: "disabled",
      region: "us-west-2",
      allow_auto_scaling_group_member: true,
      auto_scaling: "allow",
      stop_protection: "lift",
      on_delete: "restore",
      timeouts: { stop: "90s", start: "20m", healthy: "5m" },
      wait_for_status_checks: true,
      verify_in_guest: true,
      rollout_group: "runners",
      max_unavailable: 3,
    });

    const minimal = new TerraformStack(Testing.app(), "minimal");
    new NestedvirtProvider(minimal, "nestedvirt");
    new NestedVirtEnablement(minimal, "kvm", { instanceId: ID, timeouts: { stop: "1m" } });
    expect(enablementOf(synth(minimal))[1]).to.deep.equal({ instance_id: ID, timeouts: { stop: "1m" } });
  });

  it("offers the provider settings the Terraform provider serves, plus alias", () => {
    const stack = new TerraformStack(Testing.app(), "providers");
    const west = new NestedvirtProvider(stack, "west", {
      region: "us-west-2",
      profile: "ci",
      endpoint: "https://ec2.us-west-2.amazonaws.com",
      alias: "west",
    });
    new NestedVirtEnablement(stack, "kvm", { instanceId: ID, provider: west });
    const synthesized = synth(stack);
    const [block] = synthesized.provider.nestedvirt;
    expect(
      Object.keys(block)
        .filter((k) => k !== "alias")
        .sort(),
    ).to.deep.equal(PROVIDER_FIELDS.map((f) => f.name).sort());
    expect(block).to.deep.equal({
      region: "us-west-2",
      profile: "ci",
      endpoint: "https://ec2.us-west-2.amazonaws.com",
      alias: "west",
    });
    expect(enablementOf(synthesized)[1].provider).to.equal("nestedvirt.west");
  });

  it("exposes the computed attributes as typed tokens that synthesize to references", () => {
    const stack = new TerraformStack(Testing.app(), "outputs");
    new NestedvirtProvider(stack, "nestedvirt");
    const kvm = new NestedVirtEnablement(stack, "kvm", { instanceId: ID });
    const outputs: Record<string, unknown> = {
      id: kvm.id,
      instance_id: kvm.instanceId,
      nested_virtualization: kvm.nestedVirtualization,
      region: kvm.region,
      allow_auto_scaling_group_member: kvm.allowAutoScalingGroupMember,
      auto_scaling: kvm.autoScaling,
      on_delete: kvm.onDelete,
      instance_type: kvm.instanceType,
      instance_state: kvm.instanceState,
      previous_nested_virtualization: kvm.previousNestedVirtualization,
      warnings: kvm.warnings,
      "last_cycle.stopped_at": kvm.lastCycle.stoppedAt,
      "last_cycle.modified_at": kvm.lastCycle.modifiedAt,
      "last_cycle.started_at": kvm.lastCycle.startedAt,
      "last_cycle.downtime_seconds": kvm.lastCycle.downtimeSeconds,
    };
    for (const [index, value] of Object.values(outputs).entries()) new TerraformOutput(stack, `o${index}`, { value });
    const synthesized = synth(stack);
    Object.keys(outputs).forEach((attribute, index) => {
      expect(synthesized.output?.[`o${index}`].value, attribute).to.equal(`\${nestedvirt_enablement.kvm.${attribute}}`);
    });
  });

  it("writes an import block with importFrom, and renders HCL too", () => {
    const stack = new TerraformStack(Testing.app(), "import");
    new NestedvirtProvider(stack, "nestedvirt");
    const kvm = new NestedVirtEnablement(stack, "kvm", {
      instanceId: ID,
      allowAutoScalingGroupMember: false,
      timeouts: { start: "5m" },
    });
    kvm.importFrom(ID);
    expect(synth(stack).import).to.deep.equal([{ to: "nestedvirt_enablement.kvm", id: ID }]);
    const hcl = String(Testing.synthHcl(stack));
    expect(hcl).to.match(/resource "nestedvirt_enablement" "kvm" \{/);
    expect(hcl)
      .to.match(/instance_id = "i-0123456789abcdef0"/)
      .and.match(/allow_auto_scaling_group_member = false/)
      .and.match(/timeouts \{\s*start = "5m"\s*\}/);
    expect(hcl).to.contain(`source = "${PROVIDER_ADDRESS}"`);
  });

  it("synthesizes with app.synth() into cdktf.out/stacks/<stack>/cdk.tf.json", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-cdktf-synth-"));
    try {
      const app = new App({ outdir });
      new KvmRunnerStack(app, "kvm-runner", { instanceId: ID });
      app.synth();
      const written = JSON.parse(
        fs.readFileSync(path.join(outdir, "stacks", "kvm-runner", "cdk.tf.json"), "utf8"),
      ) as SynthesizedStack;
      expect(enablementOf(written)[1].instance_id).to.equal(ID);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

/**
 * The example program runs as `cdktf synth` runs it (a Node.js process with CDKTF_OUTDIR); the
 * real Terraform CLI then plans, applies and destroys the synthesized cdk.tf.json in the stack's
 * directory with the provider from the packed and installed package, against the emulator.
 */
describe("CDKTF binding end to end with the real Terraform CLI", function () {
  this.timeout(10 * 60 * 1000);
  let project: TerraformProject;
  let emulator: Ec2Emulator;

  before(async function () {
    this.timeout(30 * 60 * 1000); // a cold OpenTofu build (no terraform on PATH) takes minutes
    project = createTerraformProject();
    emulator = await startEmulator({ stoppingMs: 300, pendingMs: 300 });
  });
  after(async () => {
    await emulator?.close();
    project?.dispose();
  });

  it("synthesizes examples/cdktf, applies it (stop → modify → start), finds no changes after, and destroys it", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "m8i.large",
      state: "running",
      nestedVirtualization: "disabled",
      publicIp: "ephemeral",
    });
    const programDir = path.join(project.root, "cdktf-app");
    fs.mkdirSync(programDir, { recursive: true });
    const synthesis = await runCommand(
      process.execPath,
      [path.join(repoRoot(), "dist", "examples", "cdktf", "main.js")],
      {
        cwd: programDir,
        env: {
          ...process.env,
          CDKTF_OUTDIR: path.join(programDir, "cdktf.out"),
          NESTEDVIRT_INSTANCE_ID: instanceId,
          NESTEDVIRT_EC2_ENDPOINT: emulator.endpoint,
          AWS_REGION: "us-east-1",
        },
      },
    );
    expect(synthesis.code, synthesis.stderr).to.equal(0);
    const stackDir = path.join(programDir, "cdktf.out", "stacks", "kvm-runner");
    const synthesized = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as SynthesizedStack;
    const [name] = enablementOf(synthesized);
    expect(synthesized.provider.nestedvirt).to.deep.equal([{ endpoint: emulator.endpoint, region: "us-east-1" }]);

    // Terraform runs in the stack's directory, as `cdktf deploy` does: init (the stack has a local
    // backend block, so init is required; the provider comes from the local mirror), then plan and apply.
    // The local state lands next to the program.
    const workspace = project.workspaceIn(stackDir, "filesystem_mirror");
    const init = await workspace.ok(["init"]);
    emulator.resetCalls();

    const plan = await workspace.ok(["plan", "-out=cdktf.tfplan"]);
    const change = (await workspace.showJson("cdktf.tfplan")).resource_changes?.find(
      (c) => c.address === `nestedvirt_enablement.${name}`,
    );
    expect(change?.change.actions).to.deep.equal(["create"]);
    expect(change?.change.after).to.deep.include({
      instance_id: instanceId,
      nested_virtualization: "enabled",
      // The example sets the two waits it has; the health-gate bound is unset (null) in the plan.
      timeouts: { stop: "15m", start: "15m", healthy: null },
    });
    expect(emulator.mutatingCalls()).to.deep.equal([]);

    const apply = await workspace.ok(["apply", "cdktf.tfplan"]);
    expect(emulator.mutatingCalls().map((c) => c.action)).to.deep.equal(FULL_CYCLE);
    const live = emulator.instance(instanceId);
    expect([live.state, live.nestedVirtualization]).to.deep.equal(["running", "enabled"]);
    expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
    expect(fs.existsSync(path.join(programDir, "terraform.kvm-runner.tfstate"))).to.equal(true);

    const outputs = await workspace.outputs();
    expect(outputs).to.deep.include({ nested_virtualization: "enabled", instance_state: "running" });
    expect((outputs.last_cycle as { downtime_seconds: number }).downtime_seconds).to.be.greaterThan(0);
    expect((outputs.warnings as string[]).join("\n")).to.contain("new public IPv4 address");

    emulator.resetCalls();
    const again = await workspace.run(["plan", "-detailed-exitcode"]);
    expect(again.code, again.stdout + again.stderr).to.equal(0);
    expect(emulator.mutatingCalls()).to.deep.equal([]);

    await workspace.ok(["destroy", "-auto-approve"]);
    expect(emulator.mutatingCalls()).to.deep.equal([]);
    expect(emulator.instance(instanceId).nestedVirtualization).to.equal("enabled");
    expect(await workspace.stateResources()).to.deep.equal({});
    console.log(
      `      ${project.cli}: CDKTF synth ${synthesis.seconds.toFixed(2)} s, init ${init.seconds.toFixed(2)} s, plan ${plan.seconds.toFixed(2)} s, apply ${apply.seconds.toFixed(2)} s`,
    );
  });
});
