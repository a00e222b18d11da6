import { StopInstancesCommand } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { ConflictingApplyError, createEngine, JOURNAL_TAG_KEY } from "../../provider/engine";
import { FAST_TRANSITIONS, seeded, useEmulator } from "../support/emulated";
import { rejection } from "../support/rejection";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("claims of a fleet and of competing runs (real SDK over HTTP)", () => {
  const ctx = useEmulator(FAST_TRANSITIONS);

  it("journals of a fleet claimed together are written in one CreateTags call and all taken off again", async () => {
    const fleet = Array.from({ length: 12 }, () => seeded(ctx.emulator));
    const engine = ctx.engine();
    await Promise.all(fleet.map(({ desired }) => engine.apply(desired)));
    const writes = ctx.emulator.calls.filter((c) => c.action === "CreateTags" && !c.dryRun);
    expect(writes.map((c) => c.instanceIds.length)).to.deep.equal([12]);
    const removals = ctx.emulator.calls.filter((c) => c.action === "DeleteTags" && !c.dryRun);
    expect(removals.length).to.be.lessThan(12);
    expect(removals.flatMap((c) => c.instanceIds)).to.have.members(fleet.map((f) => f.instanceId));
    for (const { instanceId } of fleet) {
      expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
      expect(ctx.emulator.instance(instanceId).tags[JOURNAL_TAG_KEY]).to.equal(undefined);
    }
  });

  it("a stop by another run seen at the read-back: finishes the cycle without a second StopInstances", async () => {
    const { instanceId, desired } = seeded(ctx.emulator);
    const engine = createEngine({
      session: ctx.session,
      pollIntervalMs: 20,
      claimSettleMs: 400,
    });
    const applied = engine.apply(desired);
    // Another run, its claim read back before ours landed, stops the instance during our settle.
    while (!ctx.emulator.calls.some((c) => c.action === "CreateTags" && !c.dryRun)) await sleep(5);
    await ctx.client.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    const result = await applied;
    const real = ctx.emulator.mutatingCalls().filter((c) => !c.dryRun);
    expect(real.filter((c) => c.action === "StopInstances")).to.have.length(1);
    expect(real.filter((c) => c.action === "ModifyInstanceCpuOptions")).to.have.length(1);
    expect(result).to.deep.include({ nestedVirtualization: "enabled", instanceState: "running" });
    expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
    expect(ctx.emulator.instance(instanceId).tags[JOURNAL_TAG_KEY]).to.equal(undefined);
  });

  it("two applies of one process on one instance: the same setting waits and stops nothing more", async () => {
    const { instanceId, desired } = seeded(ctx.emulator);
    const engine = ctx.engine();
    const results = await Promise.all([engine.apply(desired), engine.apply(desired)]);
    expect(results.map((r) => r.nestedVirtualization)).to.deep.equal(["enabled", "enabled"]);
    expect(ctx.emulator.mutatingCalls().filter((c) => c.action === "StopInstances" && !c.dryRun)).to.have.length(1);
    expect(ctx.emulator.instance(instanceId).nestedVirtualization).to.equal("enabled");
  });

  it("two applies of one process on one instance: the opposite setting fails at once, naming both", async () => {
    const { instanceId, desired } = seeded(ctx.emulator);
    const engine = ctx.engine();
    const first = engine.apply(desired);
    const error = await rejection(engine.apply({ ...desired, nestedVirtualization: "disabled" }));
    expect(error).to.be.instanceOf(ConflictingApplyError);
    expect(error.message).to.contain(instanceId).and.contain("NestedVirtualization=enabled").and.contain('"disabled"');
    await first;
    expect(ctx.emulator.mutatingCalls().filter((c) => c.action === "StopInstances" && !c.dryRun)).to.have.length(1);
    expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
  });
});
