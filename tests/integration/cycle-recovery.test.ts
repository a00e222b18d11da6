import { expect } from "chai";
import { BlockedError, CycleFailedError, FAILED_CYCLE_TAG_KEY, JOURNAL_TAG_KEY } from "../../provider/engine";
import { FAST_TRANSITIONS, mutatingActions, seeded, useEmulator } from "../support/emulated";
import { rejection } from "../support/rejection";

describe("the recovery of a failed cycle, as planned from its record (real SDK over HTTP)", () => {
  const ctx = useEmulator(FAST_TRANSITIONS);

  it("says how long the instance was out of service when it was started again after a refused modify", async () => {
    const { instanceId, desired } = seeded(ctx.emulator);
    ctx.emulator.faults.failNext("ModifyInstanceCpuOptions", "InvalidParameterCombination", "not now", 1, {
      dryRun: false,
    });
    const error = await rejection(ctx.engine().apply(desired));
    expect(error).to.be.instanceOf(CycleFailedError);
    expect(error.message).to.match(
      /started again and has NestedVirtualization=disabled \(it was out of service for \d+\.\d s\)/,
    );
    expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "disabled" });
  });

  it("keeps the journal when the restart fails too; the next run starts the instance and removes it", async () => {
    const { instanceId, desired } = seeded(ctx.emulator);
    ctx.emulator.faults.failNext("ModifyInstanceCpuOptions", "InvalidParameterCombination", "not now", 1, {
      dryRun: false,
    });
    ctx.emulator.faults.failNext("StartInstances", "UnsupportedOperation", "no starts today", 1, { dryRun: false });
    const error = await rejection(ctx.engine().apply(desired));

    expect(error).to.be.instanceOf(CycleFailedError);
    expect((error as CycleFailedError).restored).to.equal(false);
    expect(error.message)
      .to.contain(`ModifyInstanceCpuOptions failed on ${instanceId}`)
      .and.contain("Starting it again also failed")
      .and.contain("no starts today")
      .and.contain(`the journal tag ${JOURNAL_TAG_KEY} is still on the instance`);
    // The journal stays (no DeleteTags); the last CreateTags records the failed modify.
    expect(mutatingActions(ctx.emulator)).to.deep.equal([
      "CreateTags",
      "StopInstances",
      "ModifyInstanceCpuOptions",
      "StartInstances",
      "CreateTags",
    ]);
    const left = ctx.emulator.instance(instanceId);
    expect(left.state).to.equal("stopped");
    expect(left.tags[JOURNAL_TAG_KEY]).to.be.a("string");
    expect(left.tags[FAILED_CYCLE_TAG_KEY]).to.contain("not now");

    // The next run finishes the cycle's recovery from the journal: the instance runs again, as it did before.
    const again = await rejection(ctx.engine().apply(desired));
    expect(again).to.be.instanceOf(BlockedError);
    const after = ctx.emulator.instance(instanceId);
    expect(after).to.deep.include({ state: "running", nestedVirtualization: "disabled" });
    expect(after.tags).not.to.have.property(JOURNAL_TAG_KEY);
  });
});
