import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import type { Ec2Emulator } from "../../emulator";
import { JOURNAL_TAG_KEY } from "../../provider/engine";
import type { PulumiStateResource, PulumiWorkspace } from "../../tools/cli/pulumi";
import { isAlive, processTree } from "../../tools/cli/run";
import { useEmulatedStacks } from "./support/emulated-stacks";
import { createTypeScriptPluginProject, importEnablement } from "./support/plugin-project";
import { waitFor } from "./support/wait-for";

const TYPE = "nestedvirt:index:Enablement";

/** Ephemeral diagnostics (status lines) the CLI's event log recorded for resources whose URN ends so. */
function statusLinesOf(eventLog: string, urnSuffix: string): string[] {
  return fs
    .readFileSync(eventLog, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { diagnosticEvent?: { urn?: string; message?: string; ephemeral?: boolean } })
    .flatMap(({ diagnosticEvent: d }) =>
      d?.ephemeral && d.urn?.endsWith(urnSuffix) && d.message ? [d.message.trim()] : [],
    );
}
const DYNAMIC_TYPE = "pulumi-nodejs:dynamic/nestedvirt:NestedVirtEnablement";

interface Result {
  instanceId: string;
  nestedVirtualization: string;
  instanceState: string;
  previousNestedVirtualization: string;
  warnings: string[];
}

/**
 * The provider plugin from a TypeScript program through the generated TypeScript SDK (sdk/nodejs),
 * next to the dynamic resource, with the real CLI; the plugin is the packed package's.
 */
describe("the provider plugin from a TypeScript program", function () {
  this.timeout(20 * 60 * 1000);
  let emulator: Ec2Emulator;
  const stackFor = useEmulatedStacks(createTypeScriptPluginProject, (_project, started) => {
    emulator = started;
  });

  const actionsOn = (instanceId: string) =>
    emulator
      .mutatingCalls()
      .filter((c) => c.instanceIds.includes(instanceId))
      .map((c) => c.action);

  it("gives the same results and makes the same EC2 calls as the dynamic resource, and warns at preview", async () => {
    const seed = {
      instanceType: "m8i.large",
      state: "running",
      nestedVirtualization: "disabled",
      publicIp: "ephemeral",
    } as const;
    const viaPlugin = emulator.addInstance(seed);
    const viaDynamic = emulator.addInstance(seed);
    const workspace = await stackFor("same", {
      pluginInstanceIds: [viaPlugin],
      dynamicInstanceIds: [viaDynamic],
      providerRegion: "eu-central-1",
    });
    emulator.resetCalls();

    const preview = await workspace.ok(["preview", "--stack", workspace.stack]);
    expect(preview.stdout).to.contain(`${TYPE} (plugin-0):`);
    expect(preview.stdout).to.contain(`warning: Instance ${viaPlugin} will get a new public IPv4 address`);
    expect(emulator.mutatingCalls()).to.deep.equal([]);

    const eventLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-events-")), "up.jsonl");
    // `--event-log` exists when PULUMI_DEBUG_COMMANDS is set.
    await workspace.ok(["up", "--yes", "--skip-preview", "--event-log", eventLog, "--stack", workspace.stack], {
      env: { ...workspace.env, PULUMI_DEBUG_COMMANDS: "true" },
    });
    // The cycle's phases reached the CLI as the plugin resource's status lines, in order.
    expect(statusLinesOf(eventLog, `${TYPE}::plugin-0`)).to.deep.equal(
      [
        "writing the journal",
        "stopping",
        "waiting until stopped",
        "setting the CPU option",
        "starting",
        "waiting until running",
        "removing the journal",
      ].map((phase) => `${phase} ${viaPlugin}`),
    );
    const outputs = await workspace.outputs();
    const [plugin] = outputs.pluginResults as Result[];
    const [dynamic] = outputs.dynamicResults as Result[];
    const withoutId = ({ instanceId: _, warnings, ...rest }: Result) => ({
      ...rest,
      warnings: warnings.map((w) => w.replace(/i-[0-9a-f]+/g, "i-…").replace(/\d+\.\d+\.\d+\.\d+/g, "IP")),
    });
    expect(withoutId(plugin)).to.deep.equal(withoutId(dynamic));
    expect(plugin).to.deep.include({ nestedVirtualization: "enabled", instanceState: "running" });
    expect(actionsOn(viaPlugin)).to.deep.equal(actionsOn(viaDynamic));
    expect(actionsOn(viaPlugin)).to.deep.equal([
      "CreateTags",
      "StopInstances",
      "ModifyInstanceCpuOptions",
      "StartInstances",
      "DeleteTags",
    ]);

    // The explicit Provider's region reached the plugin through Configure.
    const state = await workspace.exportState();
    const ours = state.resources?.find((r: PulumiStateResource) => r.type === TYPE);
    expect(ours?.inputs?.region).to.equal("eu-central-1");
    expect(state.resources?.some((r) => r.type === DYNAMIC_TYPE)).to.equal(true);
  });

  it("a standby Auto Scaling member through the plugin: preview warns about the launch template, up shows the standby phases", async () => {
    const instanceId = emulator.addInstance({
      instanceType: "m8i.large",
      state: "running",
      nestedVirtualization: "disabled",
    });
    const launchTemplateId = emulator.addLaunchTemplate("plugin-runners", [{}]);
    emulator.addAutoScalingGroup({
      name: "plugin-runners",
      instanceIds: [instanceId],
      minSize: 0,
      launchTemplate: { launchTemplateId },
    });
    const workspace = await stackFor("standby", { pluginInstanceIds: [instanceId], autoScaling: "standby" });
    emulator.resetCalls();

    const preview = await workspace.ok(["preview", "--stack", workspace.stack]);
    expect(preview.stdout.replace(/\s+/g, " "))
      .to.contain('Instances Auto Scaling group "plugin-runners" launches later will not have nested virtualization')
      .and.contain(launchTemplateId);
    expect(emulator.mutatingCalls()).to.deep.equal([]);

    const eventLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-events-")), "up.jsonl");
    await workspace.ok(["up", "--yes", "--skip-preview", "--event-log", eventLog, "--stack", workspace.stack], {
      env: { ...workspace.env, PULUMI_DEBUG_COMMANDS: "true" },
    });
    expect(statusLinesOf(eventLog, `${TYPE}::plugin-0`)).to.deep.equal(
      [
        "writing the journal",
        "putting in Standby",
        "waiting for Standby",
        "stopping",
        "waiting until stopped",
        "setting the CPU option",
        "starting",
        "waiting until running",
        "returning to service",
        "waiting for InService",
        "removing the journal",
      ].map((phase) => `${phase} ${instanceId}`),
    );
    expect(actionsOn(instanceId)).to.deep.equal([
      "CreateTags",
      "EnterStandby",
      "StopInstances",
      "ModifyInstanceCpuOptions",
      "StartInstances",
      "ExitStandby",
      "DeleteTags",
    ]);
    const group = emulator.autoScalingGroup("plugin-runners");
    expect(group.members.map((m) => m.lifecycleState)).to.deep.equal(["InService"]);
    expect(group.replacementsLaunched).to.deep.equal([]);
  });

  it("pulumi import adopts an instance into a TypeScript stack without touching it", async () => {
    const existing = emulator.addInstance({
      instanceType: "r8i.large",
      state: "running",
      nestedVirtualization: "enabled",
    });
    const workspace: PulumiWorkspace = await stackFor("import", {});
    emulator.resetCalls();
    // The Node.js language host here generates no code, so the import writes state only.
    await importEnablement(workspace, "adopted", existing, "--generate-code=false");
    expect(emulator.mutatingCalls()).to.deep.equal([]);
    const state = await workspace.exportState();
    const imported = state.resources?.find((r) => r.type === TYPE);
    expect(imported?.id).to.equal(existing);
    expect(imported?.outputs).to.deep.include({
      instanceId: existing,
      nestedVirtualization: "enabled",
      instanceType: "r8i.large",
      previousNestedVirtualization: "enabled",
    });
  });

  it("refuses one instance declared by two plugin resources at preview, naming both, with zero mutating calls", async () => {
    const instanceId = emulator.addInstance({ instanceType: "m8i.large", state: "running" });
    const workspace = await stackFor("duplicate", { pluginInstanceIds: [instanceId, instanceId] });
    emulator.resetCalls();
    const preview = await workspace.run(["preview", "--stack", workspace.stack]);
    const output = preview.stdout + preview.stderr;
    expect(preview.code, output).to.not.equal(0);
    expect(output).to.contain(
      `Instance ${instanceId} is declared by two ${TYPE} resources in this program, "plugin-0" and "plugin-1"`,
    );
    expect(emulator.mutatingCalls()).to.deep.equal([]);
  });

  it("pulumi up interrupted (Cancel): no StopInstances after it, the cycle in flight finishes, every instance runs", async () => {
    const ids = Array.from({ length: 4 }, () =>
      emulator.addInstance({
        instanceType: "m8i.large",
        state: "running",
        nestedVirtualization: "disabled",
        stoppingMs: 1500,
        pendingMs: 1500,
      }),
    );
    // One at a time: when the first stop is seen, the other three are waiting for the group's slot.
    const workspace = await stackFor("cancelled", {
      pluginInstanceIds: ids,
      rolloutGroup: "cancel",
      maxUnavailable: 1,
    });
    emulator.resetCalls();
    let pid = 0;
    const up = workspace.run(["up", "--yes", "--skip-preview", "--stack", workspace.stack], {
      onSpawn: (p) => (pid = p),
    });
    await waitFor(() => emulator.mutatingCalls().some((c) => c.action === "StopInstances"), 180_000);
    const processes = processTree(pid);
    process.kill(pid, "SIGINT"); // the CLI alone: the plugin learns of it only through the engine's Cancel
    const result = await up;
    const output = result.stdout + result.stderr;
    expect(result.code, output).to.not.equal(0);

    const stops = emulator.mutatingCalls().filter((c) => c.action === "StopInstances");
    expect(
      stops.flatMap((c) => c.instanceIds),
      output,
    ).to.have.length(1);
    const [cycled] = stops[0].instanceIds;
    for (const id of ids) {
      const live = emulator.instance(id);
      expect(live.state, id).to.equal("running");
      expect(live.nestedVirtualization, id).to.equal(id === cycled ? "enabled" : "disabled");
      // The waiting cycles learnt of the Cancel and say so (the plugin got no signal of its own).
      if (id !== cycled) expect(output).to.contain(`The run was told to stop, so instance ${id} was not stopped`);
      expect(live.tags, id).to.not.have.property(JOURNAL_TAG_KEY);
    }
    await waitFor(() => processes.every((p) => !isAlive(p)), 30_000);
  });
});
