import { expect } from "chai";
import * as handlers from "../../provider/pulumi/handlers";
import { UNKNOWN_VALUE } from "../../provider/pulumi/properties";
import { FAST_TRANSITIONS, mutatingActions, useEmulator } from "../support/emulated";

/**
 * The dynamic provider's methods as the Pulumi engine calls them (plain property bags), against
 * the emulator through AWS_ENDPOINT_URL_EC2, the way a user points the SDK at an endpoint.
 */
describe("the Pulumi dynamic provider's methods", () => {
  const ctx = useEmulator(FAST_TRANSITIONS);
  const provider = { __provider: "serialized" };

  beforeEach(() => {
    process.env.AWS_ENDPOINT_URL_EC2 = ctx.emulator.endpoint;
  });
  afterEach(() => {
    delete process.env.AWS_ENDPOINT_URL_EC2;
  });

  const running = () =>
    ctx.emulator.addInstance({ instanceType: "m8i.large", state: "running", nestedVirtualization: "disabled" });

  describe("check", () => {
    it("fails a malformed instance ID on that property, without calling EC2", async () => {
      const { failures } = await handlers.check({}, { instanceId: "i-nope" });
      expect(failures).to.have.length(1);
      expect(failures[0].property).to.equal("instanceId");
      expect(failures[0].reason).to.contain("not an EC2 instance ID");
      expect(ctx.emulator.calls).to.deep.equal([]);
    });

    it("fails bad enum values and timeouts per property", async () => {
      const { failures } = await handlers.check(
        {},
        { instanceId: running(), nestedVirtualization: "yes", timeouts: { stop: "forever" } },
      );
      expect(failures.map((f) => f.property)).to.deep.equal(["nestedVirtualization", "timeouts"]);
    });

    it("fails a blocked instance at preview time with zero mutating calls", async () => {
      const instanceId = ctx.emulator.addInstance({ instanceType: "m6i.large", state: "running" });
      const { failures } = await handlers.check({}, { instanceId });
      expect(failures.map((f) => f.property)).to.deep.equal(["instanceId"]);
      expect(failures[0].reason).to.contain("m6i.large");
      expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
    });

    it("applies defaults to valid inputs", async () => {
      const instanceId = running();
      const { inputs, failures } = await handlers.check({}, { instanceId });
      expect(failures).to.deep.equal([]);
      expect(inputs).to.deep.equal({
        instanceId,
        nestedVirtualization: "enabled",
        allowAutoScalingGroupMember: false,
        autoScaling: "refuse",
        stopProtection: "refuse",
        onDelete: "keep",
        timeouts: { stop: "10m", start: "10m", healthy: "10m" },
        waitForStatusChecks: false,
        verifyInGuest: false,
        maxUnavailable: 1,
      });
    });

    it("lets unknown inputs through during preview", async () => {
      const { failures } = await handlers.check({}, { instanceId: UNKNOWN_VALUE });
      expect(failures).to.deep.equal([]);
    });
  });

  describe("diff", () => {
    const olds = {
      instanceId: "i-0123456789abcdef0",
      nestedVirtualization: "enabled",
      onDelete: "keep",
      allowAutoScalingGroupMember: false,
      autoScaling: "refuse",
      timeouts: { stop: "10m", start: "10m" },
      __provider: "old",
    };

    it("ignores __provider and the profile", async () => {
      const result = await handlers.diff("i-0123456789abcdef0", olds, {
        ...olds,
        __provider: "new",
        awsProfile: "other",
      });
      expect(result).to.deep.equal({ changes: false, diffs: [], replaces: [], deleteBeforeReplace: false });
    });

    it("reads state from before autoScaling as what allowAutoScalingGroupMember meant: no diff", async () => {
      const { autoScaling: _, ...before } = olds;
      expect((await handlers.diff("x", before, olds)).changes).to.equal(false);
      const allowed = { ...before, allowAutoScalingGroupMember: true };
      expect((await handlers.diff("x", allowed, { ...allowed, autoScaling: "allow" })).changes).to.equal(false);
      expect((await handlers.diff("x", allowed, { ...olds, autoScaling: "standby" })).diffs).to.include("autoScaling");
    });

    it("replaces on a new instance ID or region", async () => {
      expect((await handlers.diff("x", olds, { ...olds, instanceId: "i-0123456789abcdef1" })).replaces).to.deep.equal([
        "instanceId",
      ]);
      expect((await handlers.diff("x", olds, { ...olds, region: "eu-west-1" })).replaces).to.deep.equal(["region"]);
    });

    it("updates in place when the desired setting differs from the actual one", async () => {
      const result = await handlers.diff("x", olds, { ...olds, nestedVirtualization: "disabled" });
      expect(result).to.deep.equal({
        changes: true,
        diffs: ["nestedVirtualization"],
        replaces: [],
        deleteBeforeReplace: false,
      });
    });
  });

  it("creates, refreshes, updates and deletes through the engine", async () => {
    const instanceId = running();
    const { inputs } = await handlers.check({}, { instanceId, ...provider });
    const created = await handlers.create(inputs);
    expect(created.id).to.equal(instanceId);
    expect(created.outs).to.deep.include({
      nestedVirtualization: "enabled",
      instanceState: "running",
      previousNestedVirtualization: "disabled",
      instanceType: "m8i.large",
    });
    expect(mutatingActions(ctx.emulator)).to.deep.equal([
      "CreateTags",
      "StopInstances",
      "ModifyInstanceCpuOptions",
      "StartInstances",
      "DeleteTags",
    ]);

    ctx.emulator.setNestedVirtualization(instanceId, "disabled");
    const refreshed = await handlers.read(instanceId, created.outs as unknown as Record<string, unknown>);
    expect(refreshed.props).to.deep.include({
      nestedVirtualization: "disabled",
      previousNestedVirtualization: "disabled",
    });
    const refreshedProps = refreshed.props ?? expect.fail("read returned no properties");
    expect((await handlers.diff(instanceId, refreshedProps, inputs)).changes).to.equal(true);

    ctx.emulator.resetCalls();
    const updated = await handlers.update(instanceId, refreshedProps, { ...inputs, onDelete: "restore" });
    expect(updated.outs).to.deep.include({ nestedVirtualization: "enabled", previousNestedVirtualization: "disabled" });
    expect(mutatingActions(ctx.emulator)).to.have.length(5);

    ctx.emulator.resetCalls();
    await handlers.remove(instanceId, updated.outs as unknown as Record<string, unknown>);
    expect(ctx.emulator.instance(instanceId).nestedVirtualization).to.equal("disabled");
    expect(mutatingActions(ctx.emulator)).to.include("ModifyInstanceCpuOptions");
  });

  describe("a stack of many resources in one provider process, as `pulumi up` runs them", () => {
    const CYCLE_ACTIONS = ["CreateTags", "DeleteTags", "ModifyInstanceCpuOptions", "StartInstances", "StopInstances"];

    /** DryRun requests per action, and the instances each one asked about. */
    function dryRunsByAction(): Record<string, { requests: number; instances: string[] }> {
      const byAction: Record<string, { requests: number; instances: string[] }> = {};
      for (const call of ctx.emulator.calls.filter((c) => c.dryRun)) {
        const entry = byAction[call.action] ?? { requests: 0, instances: [] };
        byAction[call.action] = entry;
        entry.requests++;
        entry.instances.push(...call.instanceIds);
      }
      return byAction;
    }

    it("asks EC2 with DryRun once per action and instance: in check, not again in create", async () => {
      const instanceId = running();
      const { inputs } = await handlers.check({}, { instanceId, ...provider });
      await handlers.create(inputs);
      const dryRuns = dryRunsByAction();
      expect(Object.keys(dryRuns).sort()).to.deep.equal(CYCLE_ACTIONS);
      for (const action of CYCLE_ACTIONS) expect(dryRuns[action].instances, action).to.deep.equal([instanceId]);
    });

    it("checks and creates 20 resources at once: one DryRun and one stop-protection read per instance, lists batched", async () => {
      const ids = Array.from({ length: 20 }, running);
      const checked = await Promise.all(ids.map((instanceId) => handlers.check({}, { instanceId, ...provider })));
      await Promise.all(checked.map(({ inputs }) => handlers.create(inputs)));
      const dryRuns = dryRunsByAction();
      for (const action of CYCLE_ACTIONS) {
        expect([...dryRuns[action].instances].sort(), action).to.deep.equal([...ids].sort());
      }
      // Everything but ModifyInstanceCpuOptions takes a list of instances.
      expect(dryRuns.StopInstances.requests).to.be.lessThan(ids.length);
      const attributeReads = ctx.emulator.calls.filter((c) => c.action === "DescribeInstanceAttribute");
      expect(attributeReads.flatMap((c) => c.instanceIds).sort()).to.deep.equal([...ids].sort());
      expect(ctx.emulator.instances().every((i) => i.state === "running" && i.nestedVirtualization === "enabled")).to.be
        .true;
    });
  });

  it("adopts an instance on create with the import option, without touching it", async () => {
    const instanceId = ctx.emulator.addInstance({
      instanceType: "m8i.large",
      state: "stopped",
      nestedVirtualization: "enabled",
    });
    const { inputs, failures } = await handlers.check({}, { instanceId, importId: instanceId });
    expect(failures).to.deep.equal([]);
    const created = await handlers.create(inputs);
    expect(created.outs).to.deep.include({
      nestedVirtualization: "enabled",
      instanceState: "stopped",
      previousNestedVirtualization: "enabled",
    });
    expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
  });

  it("refuses an import ID that is not the instance ID", async () => {
    const instanceId = running();
    const { failures } = await handlers.check({}, { instanceId, importId: "i-0000000000000000f" });
    expect(failures.map((f) => f.reason).join()).to.contain("must be the instanceId");
  });

  it("reads a vanished instance as deleted", async () => {
    expect(await handlers.read("i-00000000000000000", { instanceId: "i-00000000000000000" })).to.deep.equal({});
  });

  it("imports an instance by ID with its live setting as the inputs", async () => {
    const instanceId = ctx.emulator.addInstance({
      instanceType: "c8i.xlarge",
      state: "running",
      nestedVirtualization: "enabled",
    });
    const imported = await handlers.read(instanceId, {});
    expect(imported.id).to.equal(instanceId);
    expect(imported.inputs).to.deep.include({ instanceId, nestedVirtualization: "enabled" });
    expect(imported.props).to.deep.include({ instanceType: "c8i.xlarge", instanceState: "running" });
    expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
  });

  describe("with the program's preflight (`__preflight`, written by the NestedVirtEnablement class)", () => {
    const ALL_ACTIONS = ["StopInstances", "StartInstances", "ModifyInstanceCpuOptions", "CreateTags", "DeleteTags"];
    const record = (instanceId: string, overrides: Record<string, unknown> = {}) => ({
      instanceId,
      nestedVirtualization: "enabled",
      checkedAt: new Date().toISOString(),
      permitted: ALL_ACTIONS,
      blockers: [],
      ...overrides,
    });

    it("check makes no EC2 call, and create asks no DryRun again", async () => {
      const instanceId = running();
      const { inputs, failures } = await handlers.check(
        {},
        { instanceId, __preflight: record(instanceId), ...provider },
      );
      expect(failures).to.deep.equal([]);
      expect(ctx.emulator.calls).to.deep.equal([]);
      const created = await handlers.create(inputs);
      expect(ctx.emulator.calls.filter((c) => c.dryRun)).to.deep.equal([]);
      expect(created.outs).to.deep.include({ nestedVirtualization: "enabled", instanceState: "running" });
      expect(created.outs).not.to.have.property("__preflight");
      expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
    });

    it("check reports the program's blockers on their properties, without calling EC2", async () => {
      const instanceId = running();
      const blocker = {
        attribute: "instanceId",
        message: `Instance ${instanceId} has stop protection (disableApiStop)`,
      };
      const { failures } = await handlers.check(
        {},
        { instanceId, __preflight: record(instanceId, { blockers: [blocker] }), ...provider },
      );
      expect(failures).to.deep.equal([{ property: "instanceId", reason: blocker.message }]);
      expect(ctx.emulator.calls).to.deep.equal([]);
    });

    const notCurrent: [string, (id: string) => Record<string, unknown>][] = [
      [
        "older than the DryRun verdicts last",
        (id) => record(id, { checkedAt: new Date(Date.now() - 20 * 60_000).toISOString() }),
      ],
      ["about another instance", () => record("i-0aaaaaaaaaaaaaaaa")],
      ["for the other setting", (id) => record(id, { nestedVirtualization: "disabled" })],
      ["malformed", (id) => record(id, { permitted: ["TerminateInstances"] })],
    ];
    for (const [what, make] of notCurrent) {
      it(`a preflight ${what} is not trusted: check asks EC2 itself`, async () => {
        const instanceId = running();
        await handlers.check({}, { instanceId, __preflight: make(instanceId), ...provider });
        const dryRuns = ctx.emulator.calls.filter((c) => c.dryRun).map((c) => c.action);
        expect(dryRuns).to.include.members(ALL_ACTIONS);
      });
    }
  });
});
