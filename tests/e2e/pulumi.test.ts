import { expect } from "chai";
import { type Ec2Emulator, mostNotRunningAtOnce, type SeedInstance } from "../../emulator";
import { JOURNAL_TAG_KEY } from "../../provider/engine";
import type { PulumiWorkspace } from "../../tools/cli/pulumi";
import { isAlive, killProcessTree, processTree } from "../../tools/cli/run";
import { setStackConfig, useEmulatedStacks } from "./support/emulated-stacks";
import { firstStoppedInstance } from "./support/first-stop";
import { createPulumiProject, type PulumiProject } from "./support/pulumi-project";
import { waitFor } from "./support/wait-for";

const TYPE = "pulumi-nodejs:dynamic/nestedvirt:NestedVirtEnablement";
const FULL_CYCLE = ["CreateTags", "StopInstances", "ModifyInstanceCpuOptions", "StartInstances", "DeleteTags"];

interface PreviewStep {
  op: string;
  urn: string;
  diffs?: string[];
  detailedDiff?: Record<string, { kind: string }>;
}
interface PreviewJson {
  steps?: PreviewStep[];
  changeSummary?: Record<string, number>;
  diagnostics?: { message: string; severity: string }[];
}

const ourSteps = (preview: PreviewJson) => (preview.steps ?? []).filter((s) => s.urn.includes(TYPE));

/**
 * The real Pulumi CLI (built from Go modules) drives the packed package in a temporary project;
 * the dynamic provider's AWS SDK reaches the emulator through AWS_ENDPOINT_URL_EC2.
 */
describe("end to end with the real Pulumi CLI", function () {
  this.timeout(20 * 60 * 1000);
  let project: PulumiProject;
  let emulator: Ec2Emulator;
  const stackFor = useEmulatedStacks(createPulumiProject, (created, started) => {
    project = created;
    emulator = started;
  });
  const setConfig = setStackConfig;

  async function previewJson(workspace: PulumiWorkspace, ...args: string[]): Promise<PreviewJson> {
    const result = await workspace.ok(["preview", "--json", "--stack", workspace.stack, ...args]);
    return JSON.parse(result.stdout) as PreviewJson;
  }

  describe("verifyInGuest", () => {
    it("up cycles the instance, then proves nested virtualization inside the guest over SSM", async () => {
      const instanceId = emulator.addInstance({ instanceType: "m8i.large", state: "running" });
      // The emulator answers Systems Manager on the same endpoint, reached the way a user points the SDK at it.
      const workspace = project.workspace("guest", emulator.endpoint, { AWS_ENDPOINT_URL_SSM: emulator.endpoint });
      await workspace.initStack();
      await setConfig(workspace, { instanceIds: [instanceId], verifyInGuest: true });
      emulator.resetCalls();

      const preview = await previewJson(workspace);
      expect(ourSteps(preview).map((s) => s.op)).to.deep.equal(["create"]);
      expect(emulator.calls.filter((c) => c.action === "DescribeInstanceInformation")).to.not.be.empty;
      expect(emulator.mutatingCalls()).to.deep.equal([]);

      await workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
      expect(emulator.mutatingCalls().map((c) => c.action)).to.deep.equal([...FULL_CYCLE, "SendCommand"]);
      const send = emulator.calls.find((c) => c.action === "SendCommand");
      expect(send?.params.DocumentName).to.equal("AWS-RunShellScript");
      const outputs = await workspace.outputs();
      const cycle = outputs.lastCycle as { startedAt: string; guestVerifiedAt?: string };
      expect(Date.parse(cycle.guestVerifiedAt ?? "")).to.be.at.least(Date.parse(cycle.startedAt));
      expect(emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
    });
  });

  describe("one instance through its life", () => {
    let workspace: PulumiWorkspace;
    let instanceId: string;

    before(async () => {
      instanceId = emulator.addInstance({
        instanceType: "m8i.large",
        state: "running",
        nestedVirtualization: "disabled",
        publicIp: "ephemeral",
      });
      workspace = await stackFor("life", { instanceIds: [instanceId] });
    });

    beforeEach(() => emulator.resetCalls());

    it("previews one resource to create and makes zero mutating EC2 calls", async () => {
      const preview = await previewJson(workspace);
      expect(ourSteps(preview).map((s) => s.op)).to.deep.equal(["create"]);
      expect(emulator.mutatingCalls()).to.deep.equal([]);
      expect(emulator.instance(instanceId).state).to.equal("running");
    });

    it("up stops, modifies and starts the instance, in that order, and outputs the result", async () => {
      await workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
      expect(emulator.mutatingCalls().map((c) => c.action)).to.deep.equal(FULL_CYCLE);
      const outputs = await workspace.outputs();
      expect(outputs).to.deep.include({
        nestedVirtualizationSetting: "enabled",
        instanceState: "running",
        instanceType: "m8i.large",
        previousNestedVirtualization: "disabled",
      });
      const cycle = outputs.lastCycle as { downtimeSeconds: number; stoppedAt: string; startedAt: string };
      expect(cycle.downtimeSeconds).to.be.greaterThan(0);
      expect(Date.parse(cycle.startedAt)).to.be.greaterThan(Date.parse(cycle.stoppedAt));
      expect((outputs.warnings as string[]).join("\n")).to.contain("new public IPv4 address");
    });

    it("a second up changes nothing and makes zero mutating calls", async () => {
      const result = await workspace.ok(["up", "--yes", "--json", "--stack", workspace.stack]);
      expect(result.stdout).to.not.match(/"op":\s*"(update|create|replace)"/);
      expect(emulator.mutatingCalls()).to.deep.equal([]);
    });

    it("shows disabling as an in-place update of nestedVirtualization, then applies it", async () => {
      await setConfig(workspace, { nestedVirtualization: "disabled" });
      const preview = await previewJson(workspace, "--diff");
      expect(ourSteps(preview).map((s) => s.op)).to.deep.equal(["update"]);
      const text = await workspace.ok(["preview", "--diff", "--stack", workspace.stack]);
      expect(text.stdout).to.match(/~ nestedVirtualization\s*: "enabled" => "disabled"/);
      expect(text.stdout).to.not.match(/replace/i);
      expect(emulator.mutatingCalls()).to.deep.equal([]);

      await workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
      expect(emulator.mutatingCalls().map((c) => c.action)).to.deep.equal(FULL_CYCLE);
      expect(emulator.instance(instanceId).nestedVirtualization).to.equal("disabled");
    });

    it("notices drift on refresh and repairs it on up", async () => {
      emulator.setNestedVirtualization(instanceId, "enabled");
      const preview = await previewJson(workspace, "--refresh");
      expect(ourSteps(preview).map((s) => s.op)).to.include("update");
      expect(emulator.mutatingCalls()).to.deep.equal([]);

      await workspace.ok(["up", "--yes", "--skip-preview", "--refresh", "--stack", workspace.stack]);
      expect(emulator.instance(instanceId).nestedVirtualization).to.equal("disabled");
      expect(emulator.mutatingCalls().map((c) => c.action)).to.deep.equal(FULL_CYCLE);
    });

    it("destroy keeps the setting by default (onDelete=keep)", async () => {
      await setConfig(workspace, { nestedVirtualization: "enabled" });
      await workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
      emulator.resetCalls();
      await workspace.ok(["destroy", "--yes", "--skip-preview", "--stack", workspace.stack]);
      expect(emulator.mutatingCalls()).to.deep.equal([]);
      expect(emulator.instance(instanceId).nestedVirtualization).to.equal("enabled");
    });
  });

  it("enables a stopped instance with a single modify and leaves it stopped", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "m8i-flex.large",
      state: "stopped",
      nestedVirtualization: "disabled",
    });
    const workspace = await stackFor("stopped", { instanceIds: [instanceId], "aws:region": "us-east-1" });
    emulator.resetCalls();
    await workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
    expect(emulator.mutatingCalls().map((c) => c.action)).to.deep.equal(["ModifyInstanceCpuOptions"]);
    expect(emulator.instance(instanceId)).to.deep.include({ state: "stopped", nestedVirtualization: "enabled" });
    const outputs = await workspace.outputs();
    expect(outputs.instanceState).to.equal("stopped");
    expect(outputs.lastCycle).to.have.all.keys("modifiedAt", "downtimeSeconds");
    expect((outputs.lastCycle as { downtimeSeconds: number }).downtimeSeconds).to.equal(0);
    // The aws:region stack setting reaches the resource, as it does for @pulumi/aws resources.
    const state = await workspace.exportState();
    expect(state.resources?.find((r) => r.type === TYPE)?.inputs?.region).to.equal("us-east-1");
  });

  it("destroy with onDelete=restore puts back the setting the instance had", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "c8i.xlarge",
      state: "running",
      nestedVirtualization: "disabled",
    });
    const workspace = await stackFor("restore", { instanceIds: [instanceId], onDelete: "restore" });
    await workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
    expect(emulator.instance(instanceId).nestedVirtualization).to.equal("enabled");
    emulator.resetCalls();
    await workspace.ok(["destroy", "--yes", "--skip-preview", "--stack", workspace.stack]);
    expect(emulator.mutatingCalls().map((c) => c.action)).to.deep.equal(FULL_CYCLE);
    expect(emulator.instance(instanceId)).to.deep.include({ nestedVirtualization: "disabled", state: "running" });
  });

  it("retainOnDelete leaves the instance untouched on destroy, even with onDelete=restore", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "m8i.large",
      state: "running",
      nestedVirtualization: "disabled",
    });
    const workspace = await stackFor("retain", {
      instanceIds: [instanceId],
      onDelete: "restore",
      retainOnDelete: true,
    });
    await workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
    emulator.resetCalls();
    await workspace.ok(["destroy", "--yes", "--skip-preview", "--stack", workspace.stack]);
    expect(
      emulator.calls.filter((c) => c.instanceIds.includes(instanceId) && !c.action.startsWith("Describe")),
    ).to.deep.equal([]);
    expect(emulator.instance(instanceId).nestedVirtualization).to.equal("enabled");
  });

  describe("blocked inputs fail the preview with a clear message and zero mutating calls", () => {
    const cases: [string, () => string, string][] = [
      [
        "an unsupported instance type",
        () => emulator.addInstance({ instanceType: "m6i.large", state: "running" }),
        "does not support nested virtualization",
      ],
      [
        "a Spot Instance",
        () => emulator.addInstance({ instanceType: "m8i.large", state: "running", spot: true }),
        "Spot Instance",
      ],
      [
        "an Auto Scaling group member",
        () =>
          emulator.addInstance({
            instanceType: "m8i.large",
            state: "running",
            tags: { "aws:autoscaling:groupName": "ci-fleet" },
          }),
        'Set autoScaling to "standby"',
      ],
      ["a malformed instance ID", () => "i-not-an-id", "is not an EC2 instance ID"],
      [
        "an instance with stop protection",
        () => emulator.addInstance({ instanceType: "m8i.large", state: "running", disableApiStop: true }),
        "--no-disable-api-stop",
      ],
    ];
    cases.forEach(([what, makeInstance, phrase], index) => {
      it(`refuses ${what}`, async () => {
        const instanceId = makeInstance();
        const workspace = await stackFor(`blocked-${index}`, { instanceIds: [instanceId] });
        emulator.resetCalls();
        const preview = await workspace.run(["preview", "--stack", workspace.stack]);
        expect(preview.code).to.not.equal(0);
        expect(preview.stdout + preview.stderr)
          .to.contain(phrase)
          .and.contain(instanceId);
        const up = await workspace.run(["up", "--yes", "--stack", workspace.stack]);
        expect(up.code).to.not.equal(0);
        expect(emulator.mutatingCalls()).to.deep.equal([]);
      });
    });
  });

  it("stopProtection lift: preview warns that protection is lifted for the cycle; up lifts it, cycles and turns it on again", async () => {
    const instanceId = emulator.addInstance({ instanceType: "m8i.large", state: "running", disableApiStop: true });
    const workspace = await stackFor("stop-protection-lift", { instanceIds: [instanceId], stopProtection: "lift" });
    emulator.resetCalls();
    const preview = await workspace.run(["preview", "--stack", workspace.stack]);
    expect(preview.code, preview.stderr).to.equal(0);
    expect(preview.stdout + preview.stderr).to.contain(
      `Instance ${instanceId} has stop protection (disableApiStop); it will be lifted for the cycle`,
    );
    expect(emulator.mutatingCalls()).to.deep.equal([]);

    const up = await workspace.run(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
    expect(up.code, up.stderr).to.equal(0);
    expect(emulator.mutatingCalls().map((c) => c.action)).to.deep.equal([
      "CreateTags",
      "ModifyInstanceAttribute",
      "StopInstances",
      "ModifyInstanceCpuOptions",
      "StartInstances",
      "ModifyInstanceAttribute",
      "DeleteTags",
    ]);
    const protection = emulator.mutatingCalls().filter((c) => c.action === "ModifyInstanceAttribute");
    expect(protection.map((c) => c.params["DisableApiStop.Value"])).to.deep.equal(["false", "true"]);
    expect(emulator.instance(instanceId)).to.deep.include({
      state: "running",
      nestedVirtualization: "enabled",
      disableApiStop: true,
    });
  });

  it("an endpoint whose DryRun of the modify answers InvalidAction fails the preview with the blocker, stopping nothing", async () => {
    const instanceId = emulator.addInstance({ instanceType: "m8i.large", state: "running" });
    emulator.faults.failNext(
      "ModifyInstanceCpuOptions",
      "InvalidAction",
      "The action ModifyInstanceCpuOptions is not valid for this web service.",
      1000,
      { dryRun: true, instanceId },
    );
    const workspace = await stackFor("endpoint-cannot-cycle", { instanceIds: [instanceId] });
    emulator.resetCalls();
    const preview = await workspace.run(["preview", "--stack", workspace.stack]);
    expect(preview.code).to.not.equal(0);
    const text = (preview.stdout + preview.stderr).replace(/\s+/g, " ");
    expect(text, text)
      .to.contain(`The EC2 endpoint cannot perform the cycle on ${instanceId}`)
      .and.contain("answered the DryRun of ec2:ModifyInstanceCpuOptions with InvalidAction (HTTP 400)")
      .and.contain("was not stopped");
    const up = await workspace.run(["up", "--yes", "--stack", workspace.stack]);
    expect(up.code).to.not.equal(0);
    expect((up.stdout + up.stderr).replace(/\s+/g, " ")).to.contain("cannot perform the cycle");
    expect(emulator.calls.filter((c) => c.action === "ModifyInstanceCpuOptions" && c.dryRun).length).to.be.at.least(1);
    expect(emulator.mutatingCalls()).to.deep.equal([]);
    expect(emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "disabled" });
  });

  it("recovers from a pulumi up killed after the stop: the next up leaves the instance running and enabled", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "m8i.large",
      state: "running",
      nestedVirtualization: "disabled",
      stoppingMs: 4000,
    });
    const workspace = await stackFor("crash", { instanceIds: [instanceId] });
    emulator.resetCalls();

    let pid = 0;
    const killed = workspace.run(["up", "--yes", "--skip-preview", "--stack", workspace.stack], {
      onSpawn: (p) => (pid = p),
    });
    await waitFor(() => emulator.mutatingCalls().some((c) => c.action === "StopInstances"), 60_000);
    killProcessTree(pid); // the CLI, its language host and the dynamic provider, as in a crash
    await killed;
    expect(emulator.instance(instanceId).state).to.be.oneOf(["stopping", "stopped"]);
    expect(emulator.instance(instanceId).tags).to.have.property(JOURNAL_TAG_KEY);

    // The killed CLI left its lock; the CLI says to remove it with `pulumi cancel`.
    const locked = await workspace.run(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
    expect(locked.code).to.not.equal(0);
    expect(locked.stdout + locked.stderr).to.contain("pulumi cancel");
    await workspace.ok(["cancel", "--yes", "--stack", workspace.stack]);
    emulator.resetCalls();

    const resumed = await workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
    expect(resumed.stdout).to.contain("pending operations");
    expect(emulator.mutatingCalls().map((c) => c.action)).to.deep.equal([
      "ModifyInstanceCpuOptions",
      "StartInstances",
      "DeleteTags",
    ]);
    const outputs = await workspace.outputs();
    expect((outputs.warnings as string[]).join("\n"), resumed.stdout).to.contain("interrupted cycle");
    const live = emulator.instance(instanceId);
    expect([live.state, live.nestedVirtualization]).to.deep.equal(["running", "enabled"]);
    expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
  });

  it("the same instance twice in one program fails the preview, naming both resources, with zero mutating calls", async () => {
    const instanceId = emulator.addInstance({ instanceType: "m8i.large", state: "running" });
    const workspace = await stackFor("duplicate", { instanceIds: [instanceId, instanceId] });
    emulator.resetCalls();
    const preview = await workspace.run(["preview", "--stack", workspace.stack]);
    expect(preview.code).to.not.equal(0);
    expect(preview.stdout + preview.stderr, preview.stdout + preview.stderr).to.contain(
      `Instance ${instanceId} is declared by two NestedVirtEnablement resources in this program, "kvm-0" and "kvm-1"`,
    );
    expect(emulator.mutatingCalls()).to.deep.equal([]);
  });

  it("two stacks applying the same change at once: one stop, both report the instance's setting", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "m8i.large",
      state: "running",
      nestedVirtualization: "disabled",
      stoppingMs: 1000,
      pendingMs: 1000,
    });
    const first = await stackFor("twin-a", { instanceIds: [instanceId] });
    const second = await stackFor("twin-b", { instanceIds: [instanceId] });
    emulator.resetCalls();
    const ups = [first, second].map((workspace, index) =>
      new Promise((resolve) => setTimeout(resolve, index * 500)).then(() =>
        workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]),
      ),
    );
    await Promise.all(ups);
    expect(emulator.mutatingCalls().filter((c) => c.action === "StopInstances")).to.have.length(1);
    for (const workspace of [first, second]) {
      expect((await workspace.outputs()).nestedVirtualizationSetting).to.equal("enabled");
    }
    const live = emulator.instance(instanceId);
    expect([live.state, live.nestedVirtualization]).to.deep.equal(["running", "enabled"]);
    expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
  });

  it("pulumi up interrupted with SIGINT mid-cycle: the instance runs again and every process exits", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "m8i.large",
      state: "running",
      nestedVirtualization: "disabled",
      stoppingMs: 1500,
    });
    const workspace = await stackFor("interrupted", { instanceIds: [instanceId] });
    emulator.resetCalls();
    let pid = 0;
    const up = workspace.run(["up", "--yes", "--skip-preview", "--stack", workspace.stack], {
      onSpawn: (p) => (pid = p),
    });
    await waitFor(() => emulator.mutatingCalls().some((c) => c.action === "StopInstances"), 120_000);
    const processes = processTree(pid);
    process.kill(pid, "SIGINT"); // Ctrl-C
    await up;
    const live = emulator.instance(instanceId);
    expect(live.state).to.equal("running");
    expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
    expect(emulator.mutatingCalls().filter((c) => c.action === "StopInstances")).to.have.length(1);
    await waitFor(() => processes.every((p) => !isAlive(p)), 30_000);
  });

  it("imports an instance that is already enabled without touching it", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "r8i.large",
      state: "running",
      nestedVirtualization: "enabled",
    });
    const workspace = await stackFor("import", { instanceIds: [instanceId], importExisting: true });
    emulator.resetCalls();
    await workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
    expect(emulator.mutatingCalls()).to.deep.equal([]);
    const state = await workspace.exportState();
    const imported = state.resources?.find((r) => r.type === TYPE);
    expect(imported?.id).to.equal(instanceId);
    expect(imported?.outputs).to.deep.include({
      nestedVirtualization: "enabled",
      instanceType: "r8i.large",
      previousNestedVirtualization: "enabled",
    });

    // Once imported, the resource is managed like any other: a later change cycles the instance.
    await setConfig(workspace, { importExisting: "false", nestedVirtualization: "disabled" });
    await workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
    expect(emulator.instance(instanceId).nestedVirtualization).to.equal("disabled");
  });

  it("refuses to import an instance whose setting differs, leaving it untouched", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "m8i.large",
      state: "running",
      nestedVirtualization: "disabled",
    });
    const workspace = await stackFor("import-differs", { instanceIds: [instanceId], importExisting: true });
    emulator.resetCalls();
    const up = await workspace.run(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
    expect(up.code).to.not.equal(0);
    expect(up.stdout + up.stderr).to.contain(`Instance ${instanceId} has NestedVirtualization=disabled; importing it`);
    expect(emulator.mutatingCalls()).to.deep.equal([]);
  });

  it("brings up a 50-resource stack and keeps __provider small", async () => {
    const ids = Array.from({ length: 50 }, (_, i) =>
      emulator.addInstance({
        instanceType: i % 2 ? "m8i.large" : "c8i.xlarge",
        state: "running",
        nestedVirtualization: "disabled",
      }),
    );
    const workspace = await stackFor("fleet", { instanceIds: ids });
    emulator.resetCalls();
    const up = await workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
    expect(ids.map((id) => emulator.instance(id).nestedVirtualization)).to.deep.equal(ids.map(() => "enabled"));

    const state = await workspace.exportState();
    const ours = (state.resources ?? []).filter((r) => r.type === TYPE);
    expect(ours).to.have.length(50);
    const providerBytes = ours.map((r) => Buffer.byteLength(String(r.outputs?.__provider ?? "")));
    expect(Math.max(...providerBytes)).to.be.at.most(2048);
    const counts = emulator.callCounts();
    expect(emulator.calls.filter((c) => c.errorCode && c.errorCode !== "DryRunOperation")).to.deep.equal([]);
    // Stops may be batched: count instances, not calls. Each of the 50 is stopped exactly once.
    const stopped = emulator
      .mutatingCalls()
      .filter((c) => c.action === "StopInstances")
      .flatMap((c) => c.instanceIds);
    expect(stopped).to.have.length(50);
    expect(new Set(stopped).size).to.equal(50);
    expect(counts.DescribeInstanceTypes).to.be.at.most(2 * 2);
    console.log(
      `      fleet of 50: up ${up.seconds.toFixed(1)} s; __provider ${providerBytes[0]} B per resource; package tarball ${project.tarballBytes} B; EC2 calls ${JSON.stringify(counts)}`,
    );
  });

  describe("rollouts, health gates and warnings before the outage", () => {
    const seedFleet = (size: number, seed: SeedInstance = {}) =>
      Array.from({ length: size }, () =>
        emulator.addInstance({
          instanceType: "m8i.large",
          state: "running",
          nestedVirtualization: "disabled",
          ...seed,
        }),
      );

    it("preview warns, per resource, about the stop and each side effect; nothing for a no-op or a stopped instance", async () => {
      const ids = [
        emulator.addInstance({ instanceType: "m8i.large", publicIp: "ephemeral" }),
        emulator.addInstance({ instanceType: "m8i.large", publicIp: "elastic" }),
        emulator.addInstance({ instanceType: "m8id.large", publicIp: "elastic" }),
        emulator.addInstance({ instanceType: "m8i.large", nestedVirtualization: "enabled" }),
        emulator.addInstance({ instanceType: "m8i.large", state: "stopped" }),
      ];
      const workspace = await stackFor("warnings", { instanceIds: ids });
      emulator.resetCalls();
      const preview = await workspace.ok(["preview", "--stack", workspace.stack]);
      const warned = warningsByResource(preview.stdout);
      const stopped = (id: string) => `Instance ${id} will be stopped and started again`;

      expect(warned["kvm-0"]).to.contain(stopped(ids[0])).and.contain("new public IPv4 address");
      expect(warned["kvm-1"]).to.contain(stopped(ids[1])).and.not.contain("public IPv4");
      expect(warned["kvm-2"]).to.contain(stopped(ids[2])).and.contain("instance-store volumes");
      expect(warned).to.not.have.any.keys("kvm-3", "kvm-4");
      expect(emulator.mutatingCalls()).to.deep.equal([]);
    });

    it("an Auto Scaling member with autoScaling=standby: preview warns about the group's launch template; up cycles it through Standby", async () => {
      const [instanceId] = seedFleet(1);
      const launchTemplateId = emulator.addLaunchTemplate("pulumi-runners", [{}]);
      emulator.addAutoScalingGroup({
        name: "pulumi-runners",
        instanceIds: [instanceId],
        minSize: 0,
        launchTemplate: { launchTemplateId },
      });
      const workspace = await stackFor("standby", { instanceIds: [instanceId], autoScaling: "standby" });
      emulator.resetCalls();

      const preview = await workspace.ok(["preview", "--stack", workspace.stack]);
      const warned = (warningsByResource(preview.stdout)["kvm-0"] ?? "").replace(/\s+/g, " ");
      expect(warned)
        .to.contain('Instances Auto Scaling group "pulumi-runners" launches later will not have nested virtualization')
        .and.contain(`launch template ${launchTemplateId}`)
        .and.contain("puts it in Standby");
      expect(emulator.mutatingCalls()).to.deep.equal([]);

      await workspace.ok(["up", "--yes", "--stack", workspace.stack]);
      expect(emulator.mutatingCalls().map((c) => c.action)).to.deep.equal([
        "CreateTags",
        "EnterStandby",
        "StopInstances",
        "ModifyInstanceCpuOptions",
        "StartInstances",
        "ExitStandby",
        "DeleteTags",
      ]);
      const group = emulator.autoScalingGroup("pulumi-runners");
      expect(group.members.map((m) => m.lifecycleState)).to.deep.equal(["InService"]);
      expect(group.replacementsLaunched).to.deep.equal([]);
      expect(emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
    });

    it("12 instances in one group, at most 3 out of service and gated: all end enabled", async () => {
      const ids = seedFleet(12);
      const workspace = await stackFor("rollout", {
        instanceIds: ids,
        rolloutGroup: "runners",
        maxUnavailable: 3,
        waitForStatusChecks: true,
      });
      const up = await workspace.ok(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);

      // A gated slot is also held while the instance runs but is not healthy yet, so "not running" can be fewer.
      expect(mostNotRunningAtOnce(emulator.stateHistory(ids))).to.be.at.most(3);
      expect(ids.map((id) => emulator.instance(id).nestedVirtualization)).to.deep.equal(ids.map(() => "enabled"));
      const cycle = (await workspace.outputs()).lastCycle as { healthyAt?: string; slotWaitSeconds?: number };
      expect(cycle.healthyAt).to.be.a("string");
      expect(cycle.slotWaitSeconds).to.be.a("number");
      console.log(`      rollout of 12, at most 3 out of service, gated: pulumi up ${up.seconds.toFixed(1)} s`);
    });

    it("a refused start halts the group: no further stop, the rest fail naming that instance", async () => {
      const ids = seedFleet(12);
      const workspace = await stackFor("rollout-halt", {
        instanceIds: ids,
        rolloutGroup: "runners",
        maxUnavailable: 3,
      });
      emulator.resetCalls();
      const running = workspace.run(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);
      const refused = await firstStoppedInstance(emulator, ids);
      emulator.faults.failNext("StartInstances", "VcpuLimitExceeded", undefined, 1, {
        instanceId: refused,
        dryRun: false,
      });
      const up = await running;

      expect(up.code).to.not.equal(0);
      const output = up.stdout + up.stderr;
      expect(output).to.contain(`StartInstances failed on ${refused}`);
      expect(output).to.match(new RegExp(`rollout group "runners" halted because the cycle of ${refused} failed`));
      const failedStart = emulator.calls.find(
        (c) => c.action === "StartInstances" && !c.dryRun && c.errorCode && c.instanceIds.length === 1,
      );
      expect(failedStart?.instanceIds).to.deep.equal([refused]);
      const stops = emulator
        .mutatingCalls()
        .filter((c) => c.action === "StopInstances" && ids.includes(c.instanceIds[0]));
      expect(stops.filter((c) => c.seq > (failedStart?.seq ?? 0))).to.deep.equal([]);
      expect(stops.length).to.be.lessThan(12);
      expect(ids.map((id) => emulator.instance(id).state)).to.deep.equal(ids.map(() => "running"));
      expect(mostNotRunningAtOnce(emulator.stateHistory(ids))).to.be.at.most(3);
    });

    it("an impaired status check fails the gated cycle, naming the instance and the check", async () => {
      const [instanceId] = seedFleet(1, { impairedStatusCheck: "system" });
      const workspace = await stackFor("gate-impaired", { instanceIds: [instanceId], waitForStatusChecks: true });
      const up = await workspace.run(["up", "--yes", "--skip-preview", "--stack", workspace.stack]);

      expect(up.code).to.not.equal(0);
      expect(up.stdout + up.stderr).to.contain(
        `Instance ${instanceId} is running but failed its health gate: system status check is impaired`,
      );
      expect(emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
    });
  });
});

/** The warning diagnostics of `pulumi preview`'s text output, by resource name. */
function warningsByResource(output: string): Record<string, string> {
  const byResource: Record<string, string> = {};
  let current: string | undefined;
  for (const line of output.slice(output.indexOf("Diagnostics:")).split("\n")) {
    const header = /^\s{2}\S.*\((?<name>[^)]+)\):\s*$/.exec(line);
    if (header?.groups) current = header.groups.name;
    else if (current && line.trim() !== "") byResource[current] = `${byResource[current] ?? ""}${line.trim()}\n`;
  }
  return byResource;
}
