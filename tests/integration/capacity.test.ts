import { expect } from "chai";
import type { CallRecord } from "../../emulator";
import { JOURNAL_TAG_KEY, StartCapacityError } from "../../provider/engine";
import { decodeJournal, isLeaseHeld } from "../../provider/engine/journal";
import { FAST_TRANSITIONS, seeded, useEmulator } from "../support/emulated";
import { rejection } from "../support/rejection";

const timeouts = (startSeconds: number) => ({ stopSeconds: 60, startSeconds, healthySeconds: 60 });

describe("capacity at restart: starts that fail for lack of capacity are retried (real SDK over HTTP)", () => {
  const ctx = useEmulator(FAST_TRANSITIONS);

  /** The StartInstances of the cycle (not DryRuns), in order. */
  const starts = (): CallRecord[] => ctx.emulator.mutatingCalls().filter((c) => c.action === "StartInstances");

  it("StartInstances refused 3 times with InsufficientInstanceCapacity: running after the 4th, with backoff between them", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, {}, { timeouts: timeouts(30) });
    ctx.emulator.faults.failNext("StartInstances", "InsufficientInstanceCapacity", "Insufficient capacity.", 3, {
      instanceId,
      dryRun: false,
    });
    const applied = await ctx.engine().apply(desired);

    expect(applied.lastCycle?.startAttempts).to.equal(4);
    expect(starts().map((c) => c.errorCode ?? "accepted")).to.deep.equal([
      "InsufficientInstanceCapacity",
      "InsufficientInstanceCapacity",
      "InsufficientInstanceCapacity",
      "accepted",
    ]);
    // Equal jitter over doubling steps of 2, 4 and 8 poll intervals (20 ms): at least half of each step.
    const gaps = starts()
      .slice(1)
      .map((call, i) => call.at - (starts()[i]?.at ?? 0));
    expect(gaps[0]).to.be.at.least(20);
    expect(gaps[1]).to.be.at.least(40);
    expect(gaps[2]).to.be.at.least(80);
    expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
    expect(ctx.emulator.instance(instanceId).tags).to.not.have.property(JOURNAL_TAG_KEY);
  });

  it("a start that goes pending → stopped with Server.InsufficientInstanceCapacity 3 times: running after 4 StartInstances", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, {}, { timeouts: timeouts(30) });
    ctx.emulator.failNextStarts(instanceId, 3);
    const applied = await ctx.engine().apply(desired);

    expect(applied.lastCycle?.startAttempts).to.equal(4);
    expect(starts().map((c) => c.errorCode ?? "accepted")).to.deep.equal([
      "accepted",
      "accepted",
      "accepted",
      "accepted",
    ]);
    const states = ctx.emulator.stateHistory([instanceId])[instanceId]?.map((s) => s.state);
    expect(states?.slice(-9)).to.deep.equal([
      "stopped",
      "pending",
      "stopped",
      "pending",
      "stopped",
      "pending",
      "stopped",
      "pending",
      "running",
    ]);
    expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
  });

  it("a capacity refusal answered as a server error (HTTP 500) is not retried by the SDK: one StartInstances per attempt", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, {}, { timeouts: timeouts(30) });
    ctx.emulator.faults.failNext("StartInstances", "InsufficientInstanceCapacity", "Insufficient capacity.", 2, {
      instanceId,
      dryRun: false,
      status: 500,
    });
    const applied = await ctx.engine().apply(desired);
    expect(applied.lastCycle?.startAttempts).to.equal(3);
    expect(starts()).to.have.length(3);
    expect(ctx.emulator.instance(instanceId).state).to.equal("running");
  });

  it("an instance that starts at the first try reports one start attempt", async () => {
    const { desired } = seeded(ctx.emulator);
    const applied = await ctx.engine().apply(desired);
    expect(applied.lastCycle?.startAttempts).to.equal(1);
    expect(starts()).to.have.length(1);
  });

  for (const variant of ["refused", "pending → stopped"] as const) {
    it(`bound too short (${variant}): the error says capacity ran out within timeouts.start, keeps the journal, and the next run finishes`, async () => {
      const { instanceId, desired } = seeded(ctx.emulator, {}, { timeouts: timeouts(1) });
      if (variant === "refused") {
        ctx.emulator.faults.failNext("StartInstances", "InsufficientInstanceCapacity", "Insufficient capacity.", 1000, {
          instanceId,
          dryRun: false,
        });
      } else {
        ctx.emulator.failNextStarts(instanceId, 1000);
      }
      const error = await rejection(ctx.engine().apply(desired));

      expect(error).to.be.instanceOf(StartCapacityError);
      const attempts = (error as StartCapacityError).attempts;
      expect(attempts).to.be.greaterThan(1).and.equal(starts().length);
      expect(error.message)
        .to.contain(`Instance ${instanceId} could not be started again for lack of capacity`)
        .and.contain(`${attempts} StartInstances within 1s (timeouts.start)`)
        .and.contain("InsufficientInstanceCapacity")
        .and.contain("the next run retries the start");
      const last = starts().at(-1);
      const first = starts()[0];
      expect((last?.at ?? 0) - (first?.at ?? 0)).to.be.below(1000);
      const live = ctx.emulator.instance(instanceId);
      expect([live.state, live.nestedVirtualization]).to.deep.equal(["stopped", "enabled"]);
      const decoded = decodeJournal(live.tags[JOURNAL_TAG_KEY] ?? "");
      const journal = "journal" in decoded ? decoded.journal : expect.fail("the journal should be kept");
      expect(journal.priorState).to.equal("running");
      expect(isLeaseHeld(journal, Date.now())).to.equal(false);

      // Capacity is back: the next run starts the instance and removes the journal.
      ctx.emulator.faults.clear();
      ctx.emulator.failNextStarts(instanceId, 0);
      ctx.emulator.resetCalls();
      const next = await ctx.engine().apply(desired);
      expect(next.instanceState).to.equal("running");
      expect(ctx.emulator.mutatingCalls().map((c) => c.action)).to.deep.equal(["StartInstances", "DeleteTags"]);
      expect(ctx.emulator.instance(instanceId).tags).to.not.have.property(JOURNAL_TAG_KEY);
    });
  }
});
