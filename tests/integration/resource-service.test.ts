import { expect } from "chai";
import { type AwsConnection, CancelledError, createEngine } from "../../provider/engine";
import { Declarations } from "../../provider/engine/duplicates";
import type { EngineLog } from "../../provider/plugin/engine-log";
import { createPluginProvider } from "../../provider/plugin/provider";
import type { EngineSource } from "../../provider/service/engine-source";
import { createResourceService } from "../../provider/service/resource-service";
import { FAST_TRANSITIONS, mutatingActions, useEmulator } from "../support/emulated";

/**
 * The front-end-neutral resource service with the real engine and the real AWS SDK against the
 * emulator, and the plugin's translation onto it. The front ends' own suites (pulumi-handlers,
 * terraform-provider, the e2e files) guard what each protocol shows.
 */
describe("the resource service", () => {
  const ctx = useEmulator(FAST_TRANSITIONS);
  const REGION = "us-east-1";
  const notUnknown = () => false;

  /** Engines on this test's Session with the emulator, polling every 20 ms, reporting progress like the real ones. */
  const engines: EngineSource = async (connection, progress) =>
    createEngine({
      session: ctx.session.forConnection({ ...connection, endpoint: ctx.emulator.endpoint }),
      pollIntervalMs: 20,
      ...(progress ? { progress } : {}),
    });
  const connection = { region: REGION };

  const running = () =>
    ctx.emulator.addInstance({ instanceType: "m8i.large", state: "running", nestedVirtualization: "disabled" });

  it("creates with the cycle's phases as status lines, and EC2 sees the whole cycle", async () => {
    const service = createResourceService({ engines });
    const instanceId = running();
    const lines: string[] = [];
    const { id, state } = await service.create({
      inputs: { instanceId, nestedVirtualization: "enabled" },
      connection,
      hooks: { status: (line) => lines.push(line) },
    });
    expect(id).to.equal(instanceId);
    expect(state).to.deep.include({
      instanceId,
      nestedVirtualization: "enabled",
      instanceState: "running",
      previousNestedVirtualization: "disabled",
    });
    expect(lines).to.include.members([`stopping ${instanceId}`, `setting the CPU option ${instanceId}`]);
    // The journal tag goes on before the stop and comes off after the start.
    expect(mutatingActions(ctx.emulator)).to.deep.equal([
      "CreateTags",
      "StopInstances",
      "ModifyInstanceCpuOptions",
      "StartInstances",
      "DeleteTags",
    ]);
  });

  it("after cancel, starts no cycle and leaves a running instance running", async () => {
    const service = createResourceService({ engines });
    const instanceId = running();
    service.cancel("the update was cancelled");
    const attempt = service.create({ inputs: { instanceId, nestedVirtualization: "enabled" }, connection });
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(CancelledError);
    expect((error as Error).message).to.contain(instanceId);
    await service.settled();
    expect(mutatingActions(ctx.emulator)).to.not.include("StopInstances");
    expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "disabled" });
  });

  it("fails the second declaration of one instance on instanceId, naming both, without asking EC2 again", async () => {
    const service = createResourceService({ engines });
    const declarations = new Declarations({ resourceType: "Enablement", scope: "program" });
    const instanceId = running();
    const inputs = { instanceId };
    const first = await service.check({
      inputs,
      connection,
      isUnknown: notUnknown,
      declaredAs: { declarations, resourceName: "web" },
    });
    const callsAfterFirst = ctx.emulator.calls.length;
    const second = await service.check({
      inputs,
      connection,
      isUnknown: notUnknown,
      declaredAs: { declarations, resourceName: "web-again" },
    });
    expect(first.failures).to.deep.equal([]);
    expect(second.failures.map((f) => f.attribute)).to.deep.equal(["instanceId"]);
    expect(second.failures[0].message).to.contain("web").and.contain("web-again").and.contain(instanceId);
    expect(second.inputs).to.equal(undefined);
    expect(ctx.emulator.calls.length).to.equal(callsAfterFirst);
  });

  it("refuses an import ID that is not the instance's, before any mutating call", async () => {
    const service = createResourceService({ engines });
    const instanceId = running();
    const { failures } = await service.check({
      inputs: { instanceId },
      connection,
      isUnknown: notUnknown,
      importId: "i-0aaaaaaaaaaaaaaaa",
    });
    expect(failures.map((f) => f.attribute)).to.deep.equal(["instanceId"]);
    expect(failures[0].message).to.contain("i-0aaaaaaaaaaaaaaaa").and.contain(instanceId);
    expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
  });

  it("diffs only the schema's inputs: a new instance replaces, a front end's bookkeeping never diffs", () => {
    const service = createResourceService({ engines });
    const stored = {
      instanceId: "i-0123456789abcdef0",
      nestedVirtualization: "enabled",
      autoScaling: "refuse",
      awsProfile: "a",
    };
    const moved = service.diff(stored, { ...stored, instanceId: "i-0fedcba9876543210", awsProfile: "b" }, notUnknown);
    expect(moved).to.deep.equal({ changes: true, diffs: ["instanceId"], replaces: ["instanceId"] });
    const unknownSetting = service.diff(stored, { ...stored, nestedVirtualization: "?" }, (v) => v === "?");
    expect(unknownSetting).to.deep.equal({ changes: true, diffs: ["nestedVirtualization"], replaces: [] });
  });

  it("restores the setting from before the resource existed on remove with onDelete = restore", async () => {
    const service = createResourceService({ engines });
    const instanceId = running();
    const { state } = await service.create({
      inputs: { instanceId, nestedVirtualization: "enabled", onDelete: "restore" },
      connection,
    });
    await service.remove(state, connection);
    expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "disabled" });
  });

  it("reads an instance it never stored (import) with the live setting as its inputs", async () => {
    const service = createResourceService({ engines });
    const instanceId = ctx.emulator.addInstance({
      instanceType: "c8i.xlarge",
      state: "stopped",
      nestedVirtualization: "enabled",
    });
    const outcome = await service.read(instanceId, {}, connection);
    expect(outcome?.inputs).to.deep.include({ instanceId, nestedVirtualization: "enabled" });
    expect(outcome?.state).to.deep.include({ instanceType: "c8i.xlarge", instanceState: "stopped", warnings: [] });
    expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
  });

  describe("under the Pulumi plugin", () => {
    function plugin(profile?: string) {
      const connections: AwsConnection[] = [];
      // The profile is recorded, then dropped: the emulator's fake credentials come from the environment.
      const recording: EngineSource = (c, progress) => {
        connections.push(c);
        return engines({ ...c, profile: undefined }, progress);
      };
      const warnings: string[] = [];
      const statuses: string[] = [];
      const log: EngineLog = {
        warn: async (_urn, message) => void warnings.push(message),
        status: async (_urn, message) => void statuses.push(message),
      };
      const provider = createPluginProvider({
        log,
        config: () => ({ region: REGION, ...(profile ? { profile } : {}) }),
        awsStackSettings: () => ({}),
        service: createResourceService({ engines: recording }),
      });
      return { provider, warnings, statuses, connections };
    }
    const urn = "urn:pulumi:dev::project::nestedvirt:index:Enablement::web";

    it("prints the pending cycle's warnings under the resource at check, and status lines at create", async () => {
      const { provider, warnings, statuses } = plugin();
      const instanceId = running();
      const checked = await provider.check?.(urn, {}, { instanceId });
      expect(checked?.failures).to.deep.equal([]);
      expect(warnings.join("\n")).to.contain(instanceId);
      const created = await provider.create?.(urn, checked?.inputs ?? {});
      expect(created?.outs).to.deep.include({ instanceId, region: REGION, nestedVirtualization: "enabled" });
      expect(statuses).to.include(`stopping ${instanceId}`);
    });

    it("connects with the provider's profile but keeps it out of the resource's inputs and state", async () => {
      const { provider, connections } = plugin("ops");
      const instanceId = running();
      const checked = await provider.check?.(urn, {}, { instanceId });
      const created = await provider.create?.(urn, checked?.inputs ?? {});
      const read = await provider.read?.(instanceId, urn, created?.outs);
      expect(checked?.inputs).to.not.have.property("awsProfile");
      expect(created?.outs).to.not.have.property("awsProfile");
      expect(read?.props).to.not.have.property("awsProfile");
      expect(read?.props).to.deep.include({ instanceId, nestedVirtualization: "enabled", instanceState: "running" });
      expect(connections).to.have.length.above(0);
      expect(connections.every((c) => c.profile === "ops" && c.region === REGION)).to.equal(true);
    });
  });
});
