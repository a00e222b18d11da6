import { expect } from "chai";
import { Ec2Gateway } from "../../provider/engine";
import { FAST_TRANSITIONS, seeded, useEmulator } from "../support/emulated";

describe("batched EC2 calls and DryRun once per operation", () => {
  const ctx = useEmulator(FAST_TRANSITIONS);
  const gateway = () => Ec2Gateway.connect({ endpoint: ctx.emulator.endpoint, region: "us-east-1" });

  it("sends stops issued together for several instances as one StopInstances call", async () => {
    const ids = [1, 2, 3, 4, 5].map(() => seeded(ctx.emulator).instanceId);
    const shared = gateway();
    await Promise.all(ids.map((id) => shared.stopInstance(id)));
    const stops = ctx.emulator.calls.filter((c) => c.action === "StopInstances");
    expect(stops.map((c) => c.instanceIds)).to.deep.equal([ids]);
    expect(ids.filter((id) => ctx.emulator.instance(id).state === "running")).to.deep.equal([]);
  });

  it("falls back to one call per instance when the batch fails, so each error lands on its own instance", async () => {
    const good = [seeded(ctx.emulator).instanceId, seeded(ctx.emulator).instanceId];
    const spot = seeded(ctx.emulator, { spot: true }).instanceId;
    const shared = gateway();
    const outcomes = await Promise.allSettled([...good, spot].map((id) => shared.stopInstance(id)));
    expect(outcomes.map((o) => o.status)).to.deep.equal(["fulfilled", "fulfilled", "rejected"]);
    expect(((outcomes[2] as PromiseRejectedResult).reason as Error).name).to.equal("UnsupportedOperation");
    const stops = ctx.emulator.calls.filter((c) => c.action === "StopInstances");
    expect(stops.map((c) => [c.instanceIds, c.errorCode])).to.deep.equal([
      [[...good, spot], "UnsupportedOperation"],
      [[good[0]], undefined],
      [[good[1]], undefined],
      [[spot], "UnsupportedOperation"],
    ]);
    expect(good.filter((id) => ctx.emulator.instance(id).state === "running")).to.deep.equal([]);
    expect(ctx.emulator.instance(spot).state).to.equal("running");
  });

  it("looks up one tag of several instances in one DescribeInstances, unknown instances included", async () => {
    const tagged = seeded(ctx.emulator).instanceId;
    const untagged = seeded(ctx.emulator).instanceId;
    const unknown = "i-0123456789abcdef0";
    const shared = gateway();
    await shared.createTag(tagged, "nestedvirt:cycle", "journal");
    ctx.emulator.resetCalls();
    const values = await Promise.all([tagged, untagged, unknown].map((id) => shared.tagValue(id, "nestedvirt:cycle")));
    expect(values).to.deep.equal(["journal", undefined, undefined]);
    // The first call names all three; EC2 refuses it for the unknown ID, so it is asked again without.
    const describes = ctx.emulator.calls.filter((c) => c.action === "DescribeInstances");
    expect(describes.map((c) => [c.instanceIds, c.errorCode])).to.deep.equal([
      [[tagged, untagged, unknown], "InvalidInstanceID.NotFound"],
      [[tagged, untagged], undefined],
    ]);
  });

  it("batches tags only when key and value agree", async () => {
    const ids = [1, 2, 3].map(() => seeded(ctx.emulator).instanceId);
    const shared = gateway();
    await Promise.all([
      shared.createTag(ids[0] ?? "", "team", "a"),
      shared.createTag(ids[1] ?? "", "team", "a"),
      shared.createTag(ids[2] ?? "", "team", "b"),
    ]);
    const creates = ctx.emulator.calls.filter((c) => c.action === "CreateTags").map((c) => c.instanceIds);
    expect(creates).to.have.deep.members([[ids[0], ids[1]], [ids[2]]]);
    await Promise.all(ids.map((id) => shared.deleteTag(id, "team")));
    expect(ctx.emulator.calls.filter((c) => c.action === "DeleteTags").map((c) => c.instanceIds)).to.deep.equal([ids]);
  });

  it("asks DryRun once per action and instance across preview and apply, in batches", async () => {
    const fleet = [1, 2, 3].map(() => seeded(ctx.emulator));
    const engine = ctx.engine();
    await Promise.all(fleet.map((f) => engine.inspect(f.desired, { checkPermissions: true })));
    await Promise.all(fleet.map((f) => engine.apply(f.desired)));
    const dryRuns = ctx.emulator.calls.filter((c) => c.dryRun);
    const perAction = (action: string) => dryRuns.filter((c) => c.action === action).flatMap((c) => c.instanceIds);
    for (const action of ["StopInstances", "StartInstances", "CreateTags", "DeleteTags", "ModifyInstanceCpuOptions"]) {
      expect(perAction(action), action).to.have.members(fleet.map((f) => f.instanceId));
    }
    // ModifyInstanceCpuOptions takes one instance per call; the others went out as one call each.
    expect(dryRuns).to.have.length(4 + fleet.length);
    expect(fleet.every((f) => ctx.emulator.instance(f.instanceId).nestedVirtualization === "enabled")).to.equal(true);
  });

  it("asks again after a denial, once the permission is granted", async () => {
    const { instanceId, desired } = seeded(ctx.emulator);
    ctx.emulator.permissions.deny("StopInstances");
    const engine = ctx.engine();
    const blocked = await engine.inspect(desired, { checkPermissions: true });
    expect(blocked.plan.blockers.map((b) => b.message).join()).to.contain("StopInstances");
    ctx.emulator.permissions.allow("StopInstances");
    await engine.apply(desired);
    expect(ctx.emulator.instance(instanceId).nestedVirtualization).to.equal("enabled");
    const stopDryRuns = ctx.emulator.calls.filter((c) => c.dryRun && c.action === "StopInstances");
    expect(stopDryRuns.map((c) => c.errorCode)).to.deep.equal(["UnauthorizedOperation", "DryRunOperation"]);
  });
});
