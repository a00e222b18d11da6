import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { type Ec2Emulator, mostNotRunningAtOnce, startEmulator } from "../../emulator";
import { JOURNAL_TAG_KEY } from "../../provider/engine";
import { repoRoot } from "../../tools/cli/paths";
import { isAlive, processTree, type RunResult } from "../../tools/cli/run";
import {
  PROVIDER_ADDRESS,
  platformDir,
  type TerraformResourceChange,
  type TerraformWorkspace,
} from "../../tools/cli/terraform";
import { firstStoppedInstance } from "./support/first-stop";
import {
  configuration,
  createTerraformProject,
  type EnablementBlock,
  flat,
  type TerraformProject,
} from "./support/terraform-project";
import { waitFor } from "./support/wait-for";

/** Terraform says `Installed nestedvirt/nestedvirt v0.1.0`, OpenTofu the full address (its default registry is another host). */
const installed = (version: string) =>
  new RegExp(`Installed (registry\\.terraform\\.io/)?nestedvirt/nestedvirt v${version.replaceAll(".", "\\.")} `);
const FULL_CYCLE = ["CreateTags", "StopInstances", "ModifyInstanceCpuOptions", "StartInstances", "DeleteTags"];
const ADDRESS = "nestedvirt_enablement.kvm";

/**
 * The real Terraform CLI (or OpenTofu, whichever tools/build/setup-terraform.sh provides) drives the
 * provider from the packed and installed package; the provider block points it at the emulator.
 */
describe("end to end with the real Terraform CLI", function () {
  this.timeout(10 * 60 * 1000);
  let project: TerraformProject;
  let emulator: Ec2Emulator;
  const wallTimes: Record<"init" | "plan" | "apply", number[]> = { init: [], plan: [], apply: [] };

  function timed(kind: keyof typeof wallTimes, result: RunResult): RunResult {
    wallTimes[kind].push(result.seconds);
    return result;
  }

  before(async function () {
    this.timeout(30 * 60 * 1000); // a cold OpenTofu build (no terraform on PATH) takes minutes
    project = createTerraformProject();
    emulator = await startEmulator({ stoppingMs: 300, pendingMs: 300 });
    console.log(`      CLI: ${project.cli} (${project.cliPath}); provider from ${project.packageDir}`);
  });
  after(async () => {
    await emulator?.close();
    project?.dispose();
    const summary = (Object.entries(wallTimes) as [string, number[]][])
      .filter(([, times]) => times.length > 0)
      .map(([kind, times]) => `${kind} ${describeTimes(times)}`)
      .join("; ");
    if (project) console.log(`      ${project.cli} wall times: ${summary}`);
  });

  function workspaceWith(
    name: string,
    resources: EnablementBlock[],
    installation?: "dev_overrides" | "filesystem_mirror",
    extra = "",
  ): TerraformWorkspace {
    const workspace = project.workspace(name, installation);
    workspace.writeFile("main.tf", configuration(emulator.endpoint, resources, extra));
    return workspace;
  }

  const mutating = () => emulator.mutatingCalls().map((c) => c.action);
  const changeOf = (changes: TerraformResourceChange[] | undefined, address = ADDRESS) => {
    const found = (changes ?? []).find((c) => c.address === address);
    if (!found) throw new Error(`no change for ${address} in ${JSON.stringify(changes)}`);
    return found;
  };
  const output = (result: RunResult) => flat(`${result.stdout}\n${result.stderr}`);

  describe("one instance through its life (provider installed from a filesystem mirror)", () => {
    let workspace: TerraformWorkspace;
    let instanceId: string;
    const block = (overrides: Partial<EnablementBlock> = {}): EnablementBlock => ({
      name: "kvm",
      instanceId,
      timeouts: { stop: "2m", start: "2m" },
      ...overrides,
    });

    before(() => {
      instanceId = emulator.addInstance({
        instanceType: "m8i.large",
        state: "running",
        nestedVirtualization: "disabled",
        publicIp: "ephemeral",
      });
      workspace = workspaceWith("life", [block()], "filesystem_mirror");
    });
    beforeEach(() => emulator.resetCalls());

    it("init installs the provider from the local mirror, with no registry access and no EC2 call", async () => {
      const version = (
        JSON.parse(fs.readFileSync(path.join(project.packageDir, "package.json"), "utf8")) as { version: string }
      ).version;
      const init = timed("init", await workspace.ok(["init"]));
      expect(init.stdout).to.match(installed(version));
      const lock = fs.readFileSync(path.join(workspace.workingDir, ".terraform.lock.hcl"), "utf8");
      expect(lock).to.contain(`provider "${PROVIDER_ADDRESS}"`).and.contain(`version = "${version}"`);
      expect(emulator.calls).to.deep.equal([]);
    });

    it("plan -out shows a create with the computed values unknown, and makes zero mutating EC2 calls", async () => {
      const plan = timed("plan", await workspace.ok(["plan", "-out=create.tfplan"]));
      expect(output(plan))
        .to.contain("Plan: 1 to add, 0 to change, 0 to destroy.")
        .and.contain(`${instanceId} will get a new public IPv4 address`);
      const { change } = changeOf((await workspace.showJson("create.tfplan")).resource_changes);
      expect(change.actions).to.deep.equal(["create"]);
      expect(change.after).to.deep.include({
        id: instanceId,
        instance_id: instanceId,
        nested_virtualization: "enabled",
        on_delete: "keep",
        allow_auto_scaling_group_member: false,
        auto_scaling: "refuse",
        region: "us-east-1",
        timeouts: { stop: "2m", start: "2m", healthy: null },
        wait_for_status_checks: false,
        max_unavailable: 1,
        rollout_group: null,
      });
      expect(change.after_unknown).to.deep.include({
        instance_state: true,
        instance_type: true,
        warnings: true,
        last_cycle: true,
        previous_nested_virtualization: true,
      });
      expect(emulator.calls.map((c) => c.action)).to.include("DescribeInstances");
      expect(emulator.mutatingCalls()).to.deep.equal([]);
      expect(emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "disabled" });
    });

    it("apply of the saved plan tags, stops, modifies, starts and untags, in that order, and records the result", async () => {
      const apply = timed("apply", await workspace.ok(["apply", "create.tfplan"]));
      expect(apply.stdout).to.contain("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
      expect(mutating()).to.deep.equal(FULL_CYCLE);
      const live = emulator.instance(instanceId);
      expect([live.state, live.nestedVirtualization]).to.deep.equal(["running", "enabled"]);
      expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);

      const { values } = (await workspace.stateResources())[ADDRESS];
      expect(values).to.deep.include({
        nested_virtualization: "enabled",
        instance_state: "running",
        instance_type: "m8i.large",
        previous_nested_virtualization: "disabled",
      });
      const cycle = values.last_cycle as {
        stopped_at: string;
        modified_at: string;
        started_at: string;
        downtime_seconds: number;
      };
      expect(cycle.downtime_seconds).to.be.greaterThan(0);
      expect(Date.parse(cycle.stopped_at)).to.be.at.most(Date.parse(cycle.modified_at));
      expect(Date.parse(cycle.modified_at)).to.be.at.most(Date.parse(cycle.started_at));
      expect((values.warnings as string[]).join("\n")).to.contain("new public IPv4 address");
    });

    it("plan again finds no changes (-detailed-exitcode 0) and makes zero mutating calls", async () => {
      const plan = timed("plan", await workspace.run(["plan", "-detailed-exitcode"]));
      expect(plan.code, output(plan)).to.equal(0);
      expect(plan.stdout).to.contain("No changes.");
      expect(emulator.mutatingCalls()).to.deep.equal([]);
    });

    it("shows a change made outside Terraform as drift, and apply repairs it", async () => {
      emulator.setNestedVirtualization(instanceId, "disabled");
      const refreshOnly = await workspace.run(["plan", "-refresh-only", "-detailed-exitcode"]);
      expect(refreshOnly.code, output(refreshOnly)).to.equal(2);
      expect(output(refreshOnly)).to.match(/~ nested_virtualization = "enabled" -> "disabled"/);

      const plan = timed("plan", await workspace.run(["plan", "-detailed-exitcode", "-out=repair.tfplan"]));
      expect(plan.code, output(plan)).to.equal(2);
      expect(output(plan)).to.match(/~ nested_virtualization = "disabled" -> "enabled"/);
      const { change } = changeOf((await workspace.showJson("repair.tfplan")).resource_changes);
      expect(change.actions).to.deep.equal(["update"]);
      expect(emulator.mutatingCalls()).to.deep.equal([]);

      timed("apply", await workspace.ok(["apply", "repair.tfplan"]));
      expect(mutating()).to.deep.equal(FULL_CYCLE);
      expect(emulator.instance(instanceId).nestedVirtualization).to.equal("enabled");
    });

    it('shows nested_virtualization = "disabled" as an in-place update, not a replacement, then applies it', async () => {
      workspace.writeFile("main.tf", configuration(emulator.endpoint, [block({ nestedVirtualization: "disabled" })]));
      const plan = timed("plan", await workspace.ok(["plan", "-out=disable.tfplan"]));
      const text = output(plan);
      expect(text).to.contain("Plan: 0 to add, 1 to change, 0 to destroy.").and.contain("update in-place");
      expect(text).to.match(/~ nested_virtualization = "enabled" -> "disabled"/);
      expect(text).to.not.match(/must be replaced|forces replacement/);
      const { change } = changeOf((await workspace.showJson("disable.tfplan")).resource_changes);
      expect(change.actions).to.deep.equal(["update"]);
      expect(change.after).to.deep.include({
        nested_virtualization: "disabled",
        previous_nested_virtualization: "disabled",
      });
      expect(change.after_unknown).to.deep.include({ instance_state: true, last_cycle: true, warnings: true });
      expect(emulator.mutatingCalls()).to.deep.equal([]);

      timed("apply", await workspace.ok(["apply", "disable.tfplan"]));
      expect(mutating()).to.deep.equal(FULL_CYCLE);
      expect(emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "disabled" });
      expect((await workspace.stateResources())[ADDRESS].values).to.deep.include({
        nested_virtualization: "disabled",
        instance_state: "running",
      });
    });

    it("destroy with on_delete = keep (the default) makes zero mutating calls and leaves the setting", async () => {
      workspace.writeFile("main.tf", configuration(emulator.endpoint, [block()]));
      timed("apply", await workspace.ok(["apply", "-auto-approve"]));
      expect(emulator.instance(instanceId).nestedVirtualization).to.equal("enabled");
      emulator.resetCalls();

      const destroy = await workspace.ok(["destroy", "-auto-approve"]);
      expect(destroy.stdout).to.contain("Destroy complete! Resources: 1 destroyed.");
      expect(emulator.mutatingCalls()).to.deep.equal([]);
      expect(emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
      expect(await workspace.stateResources()).to.deep.equal({});
    });
  });

  it("destroy with on_delete = restore cycles the instance back (provider through dev_overrides, no init)", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "c8i.xlarge",
      state: "running",
      nestedVirtualization: "disabled",
    });
    const workspace = workspaceWith("restore", [{ name: "kvm", instanceId, onDelete: "restore" }]);
    const apply = timed("apply", await workspace.ok(["apply", "-auto-approve"]));
    expect(output(apply)).to.contain("Provider development overrides are in effect");
    expect(emulator.instance(instanceId).nestedVirtualization).to.equal("enabled");
    emulator.resetCalls();

    await workspace.ok(["destroy", "-auto-approve"]);
    expect(mutating()).to.deep.equal(FULL_CYCLE);
    expect(emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "disabled" });
  });

  describe("import of an instance that is already enabled", () => {
    it("`import` adopts it with zero mutating calls, and the next plan has no changes", async () => {
      const instanceId = emulator.addInstance({
        instanceType: "r8i.large",
        state: "running",
        nestedVirtualization: "enabled",
      });
      const workspace = workspaceWith("import-command", [{ name: "kvm", instanceId }]);
      emulator.resetCalls();
      const imported = await workspace.ok(["import", ADDRESS, instanceId]);
      expect(imported.stdout).to.contain("Import successful!");
      expect((await workspace.stateResources())[ADDRESS].values).to.deep.include({
        id: instanceId,
        instance_id: instanceId,
        nested_virtualization: "enabled",
        instance_type: "r8i.large",
        instance_state: "running",
        region: "us-east-1",
      });
      const plan = timed("plan", await workspace.run(["plan", "-detailed-exitcode"]));
      expect(plan.code, output(plan)).to.equal(0);
      expect(emulator.mutatingCalls()).to.deep.equal([]);
    });

    it("an `import` block adopts it at plan and apply with zero mutating calls, then no changes", async () => {
      const instanceId = emulator.addInstance({
        instanceType: "m8i.large",
        state: "stopped",
        nestedVirtualization: "enabled",
      });
      const importBlock = `\nimport {\n  to = ${ADDRESS}\n  id = ${JSON.stringify(instanceId)}\n}\n`;
      const workspace = workspaceWith("import-block", [{ name: "kvm", instanceId }], "dev_overrides", importBlock);
      emulator.resetCalls();
      const plan = timed("plan", await workspace.ok(["plan", "-out=import.tfplan"]));
      expect(output(plan)).to.contain("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.");
      const { change } = changeOf((await workspace.showJson("import.tfplan")).resource_changes);
      expect(change.actions).to.deep.equal(["no-op"]);
      expect(change.importing).to.deep.equal({ id: instanceId });

      const apply = timed("apply", await workspace.ok(["apply", "import.tfplan"]));
      expect(apply.stdout).to.contain("1 imported, 0 added, 0 changed, 0 destroyed");
      expect((await workspace.stateResources())[ADDRESS].values).to.deep.include({
        nested_virtualization: "enabled",
        instance_state: "stopped",
      });
      const again = await workspace.run(["plan", "-detailed-exitcode"]);
      expect(again.code, output(again)).to.equal(0);
      expect(emulator.mutatingCalls()).to.deep.equal([]);
      expect(emulator.instance(instanceId).state).to.equal("stopped");
    });
  });

  describe("blocked inputs fail at plan time with a clear message and zero mutating calls", () => {
    const cases: [string, () => string, string][] = [
      [
        "an unsupported instance type",
        () => emulator.addInstance({ instanceType: "m6i.large", state: "running" }),
        "does not support nested virtualization",
      ],
      [
        "a Spot Instance",
        () => emulator.addInstance({ instanceType: "m8i.large", state: "running", spot: true }),
        "is a Spot Instance",
      ],
      [
        "an Auto Scaling group member",
        () =>
          emulator.addInstance({
            instanceType: "m8i.large",
            state: "running",
            tags: { "aws:autoscaling:groupName": "ci-fleet" },
          }),
        'Set auto_scaling to "standby"',
      ],
      ["a malformed instance ID", () => "i-not-an-id", "is not an EC2 instance ID"],
      ["a missing instance", () => "i-0000000000000dead", "was not found"],
      [
        "an instance with stop protection",
        () => emulator.addInstance({ instanceType: "m8i.large", state: "running", disableApiStop: true }),
        "--no-disable-api-stop",
      ],
    ];
    cases.forEach(([what, makeInstance, phrase], index) => {
      it(`refuses ${what}`, async () => {
        const instanceId = makeInstance();
        const workspace = workspaceWith(`blocked-${index}`, [{ name: "kvm", instanceId }]);
        emulator.resetCalls();
        const plan = timed("plan", await workspace.run(["plan"]));
        expect(plan.code).to.equal(1);
        expect(output(plan)).to.contain(phrase).and.contain(instanceId).and.contain("Error:");
        const apply = await workspace.run(["apply", "-auto-approve"]);
        expect(apply.code).to.equal(1);
        expect(output(apply)).to.contain(phrase);
        expect(emulator.mutatingCalls()).to.deep.equal([]);
        expect(
          fs.existsSync(path.join(workspace.workingDir, "terraform.tfstate")) ? await workspace.stateResources() : {},
        ).to.deep.equal({});
      });
    });
  });

  it('stop_protection = "lift": plan warns that protection is lifted for the cycle; apply lifts it, cycles and turns it on again', async () => {
    // No public IP to change: Terraform folds warnings with one summary into the first, and ours is to be read.
    const instanceId = emulator.addInstance({
      instanceType: "m8i.large",
      state: "running",
      disableApiStop: true,
      publicIp: "none",
    });
    const workspace = workspaceWith("stop-protection-lift", [{ name: "kvm", instanceId, stopProtection: "lift" }]);
    emulator.resetCalls();
    const plan = await workspace.run(["plan"]);
    expect(plan.code, output(plan)).to.equal(0);
    expect(output(plan)).to.contain(
      `Instance ${instanceId} has stop protection (disableApiStop); it will be lifted for the cycle`,
    );
    expect(emulator.mutatingCalls()).to.deep.equal([]);

    const apply = await workspace.run(["apply", "-auto-approve"]);
    expect(apply.code, output(apply)).to.equal(0);
    expect(mutating()).to.deep.equal([
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

  it("a start that falls back to stopped for capacity twice: apply retries it and records last_cycle.start_attempts = 3", async () => {
    const instanceId = emulator.addInstance({ instanceType: "m8i.large", state: "running" });
    emulator.failNextStarts(instanceId, 2);
    const workspace = workspaceWith("capacity-retry", [{ name: "kvm", instanceId }]);
    emulator.resetCalls();
    const apply = await workspace.run(["apply", "-auto-approve"]);
    expect(apply.code, output(apply)).to.equal(0);
    expect(mutating().filter((a) => a === "StartInstances")).to.have.length(3);
    const { values } = (await workspace.stateResources())[ADDRESS];
    expect((values.last_cycle as { start_attempts: number }).start_attempts).to.equal(3);
    expect(emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
  });

  it("an endpoint whose DryRun of the modify answers InvalidAction fails plan with the blocker, stopping nothing", async () => {
    const instanceId = emulator.addInstance({ instanceType: "m8i.large", state: "running" });
    emulator.faults.failNext(
      "ModifyInstanceCpuOptions",
      "InvalidAction",
      "The action ModifyInstanceCpuOptions is not valid for this web service.",
      1000,
      { dryRun: true, instanceId },
    );
    const workspace = workspaceWith("endpoint-cannot-cycle", [{ name: "kvm", instanceId }]);
    emulator.resetCalls();
    const plan = timed("plan", await workspace.run(["plan"]));
    expect(plan.code).to.equal(1);
    expect(output(plan))
      .to.contain(`Error: The EC2 endpoint cannot change nested virtualization on ${instanceId}`)
      .and.contain("answered the DryRun of ec2:ModifyInstanceCpuOptions with InvalidAction (HTTP 400)")
      .and.contain("was not stopped");
    const apply = await workspace.run(["apply", "-auto-approve"]);
    expect(apply.code).to.equal(1);
    expect(output(apply)).to.contain("cannot perform the cycle");
    expect(emulator.calls.filter((c) => c.action === "ModifyInstanceCpuOptions" && c.dryRun).length).to.be.at.least(1);
    expect(emulator.mutatingCalls()).to.deep.equal([]);
    expect(emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "disabled" });
  });

  it("verify_in_guest: a guest without /dev/kvm fails apply showing its answer; the instance stays running and enabled", async () => {
    const instanceId = emulator.addInstance({ instanceType: "m8i.large", state: "running" });
    emulator.setGuest(instanceId, { kvmModule: false });
    const workspace = workspaceWith("guest-lacks-kvm", [
      { name: "kvm", instanceId, verifyInGuest: true, timeouts: { healthy: "1m" } },
    ]);
    emulator.resetCalls();

    const failed = await workspace.run(["apply", "-auto-approve"]);
    expect(failed.code).to.equal(1);
    expect(output(failed))
      .to.contain(`Error: Nested virtualization check inside ${instanceId} failed (instance running)`)
      .and.contain("AWS-RunShellScript: Failed, exit code 1")
      .and.contain("/dev/kvm: missing cpu flag vmx: present")
      .and.contain("the guest kernel lacks the kvm modules");
    // The check came after the cycle, and left nothing to undo.
    expect(mutating()).to.deep.equal([...FULL_CYCLE, "SendCommand"]);
    const live = emulator.instance(instanceId);
    expect([live.state, live.nestedVirtualization]).to.deep.equal(["running", "enabled"]);
    expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);

    // Plan finds the agent (a real DescribeInstanceInformation); a guest with its modules passes without a stop.
    emulator.setGuest(instanceId, { kvmModule: true });
    emulator.resetCalls();
    await workspace.ok(["apply", "-auto-approve"]);
    expect(emulator.calls.some((c) => c.action === "DescribeInstanceInformation")).to.equal(true);
    expect(mutating()).to.not.include("StopInstances");
  });

  it("verify_in_guest: an instance without a managed SSM agent fails plan, stopping nothing", async () => {
    const instanceId = emulator.addInstance({ instanceType: "m8i.large", state: "running" });
    emulator.setGuest(instanceId, { ssmAgent: "none" });
    const workspace = workspaceWith("guest-no-agent", [{ name: "kvm", instanceId, verifyInGuest: true }]);
    emulator.resetCalls();

    const plan = await workspace.run(["plan"]);
    expect(plan.code).to.equal(1);
    expect(output(plan))
      .to.contain(`Error: No managed SSM agent online on ${instanceId} for verify_in_guest`)
      .and.contain("was not stopped");
    expect(emulator.mutatingCalls()).to.deep.equal([]);
  });

  it("a stop timeout fails apply with the timeout message and keeps the journal; the next apply finishes the cycle", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "m8i.large",
      state: "running",
      nestedVirtualization: "disabled",
    });
    const workspace = workspaceWith("timeout", [{ name: "kvm", instanceId, timeouts: { stop: "1s" } }]);
    emulator.faults.stuckInStopping(instanceId);
    emulator.resetCalls();

    const failed = await workspace.run(["apply", "-auto-approve"]);
    expect(failed.code).to.equal(1);
    expect(output(failed))
      .to.contain(`Timed out waiting for ${instanceId} to be stopped`)
      .and.contain(`did not reach "stopped" within 1s; it is still "stopping"`);
    // The journal stays for the next apply, which takes it over at once: this run gave up its lease.
    expect(mutating()).to.deep.equal(["CreateTags", "StopInstances", "CreateTags"]);
    expect(emulator.instance(instanceId).tags).to.have.property(JOURNAL_TAG_KEY);
    expect(await workspace.stateResources()).to.deep.equal({});

    emulator.faults.stuckInStopping(instanceId, false);
    emulator.resetCalls();
    await workspace.ok(["apply", "-auto-approve"]);
    expect(mutating()).to.deep.equal(["ModifyInstanceCpuOptions", "StartInstances", "DeleteTags"]);
    const live = emulator.instance(instanceId);
    expect([live.state, live.nestedVirtualization]).to.deep.equal(["running", "enabled"]);
    expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
  });

  it("the same instance twice in one configuration fails at plan, naming both resources, with zero mutating calls", async () => {
    const instanceId = emulator.addInstance({ instanceType: "m8i.large", state: "running" });
    const workspace = workspaceWith("duplicate", [
      { name: "first", instanceId },
      { name: "second", instanceId },
    ]);
    emulator.resetCalls();
    const plan = await workspace.run(["plan"]);
    expect(plan.code).to.equal(1);
    expect(output(plan))
      .to.contain(`Instance ${instanceId} is declared by more than one nestedvirt_enablement`)
      .and.contain("with nestedvirt_enablement.first")
      .and.contain("with nestedvirt_enablement.second");
    expect(emulator.mutatingCalls()).to.deep.equal([]);
  });

  it("terraform SIGKILLed after StopInstances: the provider brings the instance up again by itself and exits", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "m8i.large",
      state: "running",
      nestedVirtualization: "disabled",
      stoppingMs: 1500,
    });
    const workspace = workspaceWith("killed", [{ name: "kvm", instanceId, timeouts: { stop: "1m", start: "1m" } }]);
    emulator.resetCalls();
    let pid = 0;
    const applying = workspace.run(["apply", "-auto-approve"], { onSpawn: (p) => (pid = p) });
    await waitFor(() => mutating().includes("StopInstances"), 120_000);
    const providers = processTree(pid).slice(1);
    expect(providers).to.not.deep.equal([]);
    process.kill(pid, "SIGKILL"); // Terraform alone, as a crash or `kill -9` would
    await applying;

    // No other apply: the orphaned provider finishes the cycle within the start timeout, then exits.
    await waitFor(() => mutating().includes("DeleteTags"), 60_000);
    expect(mutating()).to.deep.equal(FULL_CYCLE);
    expect(emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
    await waitFor(() => providers.every((p) => !isAlive(p)), 30_000);
  });

  it("drops the resource from state on refresh once the instance is terminated", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "m8i.large",
      state: "running",
      nestedVirtualization: "disabled",
    });
    const workspace = workspaceWith("terminated", [{ name: "kvm", instanceId }]);
    await workspace.ok(["apply", "-auto-approve"]);
    emulator.setState(instanceId, "terminated");
    emulator.resetCalls();

    const plan = await workspace.run(["plan", "-refresh-only", "-detailed-exitcode"]);
    expect(plan.code, output(plan)).to.equal(2);
    expect(output(plan)).to.contain(`${ADDRESS} has been deleted`);
    await workspace.ok(["apply", "-refresh-only", "-auto-approve"]);
    expect(await workspace.stateResources()).to.deep.equal({});
    expect(emulator.mutatingCalls()).to.deep.equal([]);
  });

  it("both installations in docs/index.md work as written, with the npm-installed package", async () => {
    const doc = fs.readFileSync(path.join(repoRoot(), "docs", "index.md"), "utf8");
    const cliConfigs = [...doc.matchAll(/```hcl\n([\s\S]*?)```/g)].map((m) => m[1]);
    const mirrorConfig = cliConfigs.find((c) => c.includes("filesystem_mirror"));
    const overrideConfig = cliConfigs.find((c) => c.includes("dev_overrides"));
    if (!mirrorConfig || !overrideConfig) throw new Error("docs/index.md lost its CLI configuration examples");
    const installPrefix = path.dirname(path.dirname(project.packageDir)); // …/project, as with `npm install --prefix`
    expect(
      fs.lstatSync(path.join(installPrefix, "node_modules", ".bin", "terraform-provider-nestedvirt")).isSymbolicLink(),
    ).to.equal(true);
    const version = (
      JSON.parse(fs.readFileSync(path.join(project.packageDir, "package.json"), "utf8")) as { version: string }
    ).version;
    const docsDir = path.join(project.root, "docs-install");
    const mirror = path.join(docsDir, "terraform-mirror");
    // The documented shell steps: a symlink to main.js in the mirror layout.
    const target = path.join(mirror, PROVIDER_ADDRESS, version, platformDir());
    fs.mkdirSync(target, { recursive: true });
    fs.symlinkSync(
      path.join(project.packageDir, "dist", "provider", "terraform", "main.js"),
      path.join(target, `terraform-provider-nestedvirt_v${version}`),
    );
    const fromDoc = (config: string) =>
      config.replaceAll("/opt/terraform-mirror", mirror).replaceAll("/opt/nestedvirt", installPrefix);
    fs.writeFileSync(path.join(docsDir, "mirror.tfrc"), fromDoc(mirrorConfig));
    fs.writeFileSync(path.join(docsDir, "overrides.tfrc"), fromDoc(overrideConfig));

    const instanceId = emulator.addInstance({ instanceType: "m8i.large", state: "running" });
    for (const [name, config] of [
      ["mirror", "mirror.tfrc"],
      ["overrides", "overrides.tfrc"],
    ]) {
      const workspace = project.workspace(`docs-${name}`, undefined, {
        TF_CLI_CONFIG_FILE: path.join(docsDir, config),
      });
      workspace.writeFile("main.tf", configuration(emulator.endpoint, [{ name: "kvm", instanceId }]));
      if (name === "mirror") {
        const init = timed("init", await workspace.ok(["init"]));
        expect(init.stdout).to.match(installed(version));
      }
      const plan = await workspace.ok(["plan"]);
      expect(output(plan), name).to.contain("Plan: 1 to add, 0 to change, 0 to destroy.");
    }
  });

  it("the example configuration and the configurations in docs/index.md parse and are canonically formatted", async () => {
    const workspace = project.workspace("fmt");
    const example = path.join(repoRoot(), "examples", "terraform");
    const fmt = await workspace.run(["fmt", "-check", "-diff", "-recursive", example]);
    expect(fmt.code, fmt.stdout + fmt.stderr).to.equal(0);

    const doc = fs.readFileSync(path.join(repoRoot(), "docs", "index.md"), "utf8");
    const snippets = [...doc.matchAll(/```terraform\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(snippets.length).to.be.at.least(2);
    for (const [index, snippet] of snippets.entries()) workspace.writeFile(`doc-snippet-${index}.tf`, snippet);
    const docFmt = await workspace.run(["fmt", "-check", "-diff", workspace.workingDir]);
    expect(docFmt.code, docFmt.stdout + docFmt.stderr).to.equal(0);
  });

  describe('Auto Scaling members with auto_scaling = "standby"', () => {
    /** A running member of a new group whose launch template sets nested virtualization, or not. */
    function member(group: string, templateSetsIt: boolean) {
      const instanceId = emulator.addInstance({
        instanceType: "m8i.large",
        state: "running",
        nestedVirtualization: "disabled",
      });
      const launchTemplateId = emulator.addLaunchTemplate(`${group}-lt`, [
        templateSetsIt ? { nestedVirtualization: "enabled" } : {},
      ]);
      emulator.addAutoScalingGroup({
        name: group,
        instanceIds: [instanceId],
        minSize: 0,
        launchTemplate: { launchTemplateId },
      });
      return { instanceId, launchTemplateId };
    }
    const later = (group: string) =>
      `Instances Auto Scaling group "${group}" launches later will not have nested virtualization`;

    it("plan warns about the group's launch template; apply puts the member in Standby around the cycle and back InService", async () => {
      const { instanceId, launchTemplateId } = member("tf-runners", false);
      const workspace = workspaceWith("asg-standby", [{ name: "kvm", instanceId, autoScaling: "standby" }]);
      emulator.resetCalls();
      const plan = timed("plan", await workspace.ok(["plan"]));
      expect(output(plan), output(plan))
        .to.contain(later("tf-runners"))
        .and.contain(`launch template ${launchTemplateId}`);
      expect(emulator.mutatingCalls()).to.deep.equal([]);

      timed("apply", await workspace.ok(["apply", "-auto-approve"]));
      expect(mutating()).to.deep.equal([
        "CreateTags",
        "EnterStandby",
        "StopInstances",
        "ModifyInstanceCpuOptions",
        "StartInstances",
        "ExitStandby",
        "DeleteTags",
      ]);
      const group = emulator.autoScalingGroup("tf-runners");
      expect(group.members.map((m) => m.lifecycleState)).to.deep.equal(["InService"]);
      expect(group.replacementsLaunched).to.deep.equal([]);
      expect(emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
      expect((await workspace.stateResources())[ADDRESS]?.values).to.deep.include({ auto_scaling: "standby" });
    });

    it("a configuration from before auto_scaling (allow_auto_scaling_group_member = true) still applies, with a deprecation warning", async () => {
      // Tagged only: a member whose group's replacement the user has suspended (the emulator has no such group).
      const instanceId = emulator.addInstance({
        instanceType: "m8i.large",
        state: "running",
        nestedVirtualization: "disabled",
        tags: { "aws:autoscaling:groupName": "suspended-runners" },
      });
      const workspace = workspaceWith("asg-deprecated", [
        { name: "kvm", instanceId, allowAutoScalingGroupMember: true },
      ]);
      const plan = timed("plan", await workspace.ok(["plan"]));
      expect(output(plan)).to.contain("Deprecated attribute").and.contain('Use auto_scaling = "allow" instead');
      timed("apply", await workspace.ok(["apply", "-auto-approve"]));
      expect(emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
      expect((await workspace.stateResources())[ADDRESS]?.values).to.deep.include({
        allow_auto_scaling_group_member: true,
        auto_scaling: "allow",
      });
    });

    it("no launch-template warning when the group's template sets the option", async () => {
      const { instanceId } = member("tf-runners-ok", true);
      const workspace = workspaceWith("asg-ok", [{ name: "kvm", instanceId, autoScaling: "standby" }]);
      const plan = timed("plan", await workspace.ok(["plan"]));
      expect(output(plan)).to.contain("Plan: 1 to add").and.not.contain("launches later");
    });
  });

  describe("rollouts and health gates", () => {
    const fleet = (size: number, block: Partial<EnablementBlock>) =>
      Array.from({ length: size }, (_, index) => ({
        name: `kvm_${index}`,
        instanceId: emulator.addInstance({
          instanceType: "m8i.large",
          state: "running",
          nestedVirtualization: "disabled",
        }),
        ...block,
      }));

    it("12 instances in one group, at most 3 out of service and gated: all end enabled", async () => {
      const members = fleet(12, { rolloutGroup: "runners", maxUnavailable: 3, waitForStatusChecks: true });
      const ids = members.map((m) => m.instanceId);
      const workspace = workspaceWith("rollout", members);
      const apply = timed("apply", await workspace.ok(["apply", "-auto-approve"]));

      // A gated slot is also held while the instance runs but is not healthy yet, so "not running" can be fewer.
      expect(mostNotRunningAtOnce(emulator.stateHistory(ids))).to.be.at.most(3);
      expect(ids.map((id) => emulator.instance(id).nestedVirtualization)).to.deep.equal(ids.map(() => "enabled"));
      const state = await workspace.stateJson();
      const cycles = (state.values?.root_module?.resources ?? []).map(
        (r) => r.values?.last_cycle as { healthy_at?: string; slot_wait_seconds?: number },
      );
      expect(cycles).to.have.length(12);
      for (const cycle of cycles) {
        expect(cycle.healthy_at).to.be.a("string");
        expect(cycle.slot_wait_seconds).to.be.a("number");
      }
      console.log(
        `      rollout of 12, at most 3 out of service, gated: ${project.cli} apply ${apply.seconds.toFixed(1)} s`,
      );
    });

    it("a refused start halts the group: no further stop, the rest fail naming that instance", async () => {
      const members = fleet(12, { rolloutGroup: "runners", maxUnavailable: 3 });
      const ids = members.map((m) => m.instanceId);
      const workspace = workspaceWith("rollout-halt", members);
      emulator.resetCalls();
      const running = workspace.run(["apply", "-auto-approve"]);
      const refused = await firstStoppedInstance(emulator, ids);
      emulator.faults.failNext("StartInstances", "VcpuLimitExceeded", undefined, 1, {
        instanceId: refused,
        dryRun: false,
      });
      const apply = await running;

      expect(apply.code).to.equal(1);
      expect(output(apply))
        .to.contain(`StartInstances failed on ${refused}`)
        .and.contain(`rollout group "runners" halted because the cycle of ${refused} failed`);
      const failedStart = emulator.calls.find(
        (c) => c.action === "StartInstances" && !c.dryRun && c.errorCode && c.instanceIds.length === 1,
      );
      expect(failedStart?.instanceIds).to.deep.equal([refused]);
      const stops = emulator.mutatingCalls().filter((c) => c.action === "StopInstances");
      expect(stops.filter((c) => c.seq > (failedStart?.seq ?? 0))).to.deep.equal([]);
      expect(stops.length).to.be.lessThan(12);
      expect(ids.map((id) => emulator.instance(id).state)).to.deep.equal(ids.map(() => "running"));
      expect(mostNotRunningAtOnce(emulator.stateHistory(ids))).to.be.at.most(3);
    });

    it("an impaired status check fails the gated cycle, naming the instance and the check", async () => {
      const [member] = fleet(1, { waitForStatusChecks: true });
      emulator.setStatusChecks(member.instanceId, { impairedCheck: "instance" });
      const workspace = workspaceWith("gate-impaired", [member]);
      const apply = await workspace.run(["apply", "-auto-approve"]);

      expect(apply.code).to.equal(1);
      expect(output(apply)).to.contain(
        `Instance ${member.instanceId} is running but failed its health gate: instance status check is impaired`,
      );
      expect(emulator.instance(member.instanceId)).to.deep.include({
        state: "running",
        nestedVirtualization: "enabled",
      });
    });
  });
});

function describeTimes(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return `${sorted.length}× median ${median.toFixed(2)} s (min ${sorted[0].toFixed(2)}, max ${sorted[sorted.length - 1].toFixed(2)})`;
}
