import { expect } from "chai";
import type { CallRecord, Ec2Emulator } from "../../emulator";
import { BlockedError, CycleFailedError, JOURNAL_TAG_KEY } from "../../provider/engine";
import { decodeJournal, encodeJournal } from "../../provider/engine/journal";
import { applyProcess } from "../support/apply-processes";
import { FAST_TRANSITIONS, mutatingActions, seeded, useEmulator } from "../support/emulated";
import { rejection } from "../support/rejection";
import { LIFTED_CYCLE as LIFTED_CYCLE_STEPS } from "../support/step-kinds";

const LIFTED_CYCLE = [
  "CreateTags",
  "ModifyInstanceAttribute",
  "StopInstances",
  "ModifyInstanceCpuOptions",
  "StartInstances",
  "ModifyInstanceAttribute",
  "DeleteTags",
];

/** The stop-protection values the cycle set, in order ("false" = lifted, "true" = on again). */
function protectionCalls(emulator: Ec2Emulator): string[] {
  return emulator
    .mutatingCalls()
    .filter((c) => c.action === "ModifyInstanceAttribute")
    .map((c) => c.params["DisableApiStop.Value"] ?? "?");
}

/** The journal the instance carries, decoded; fails the test when there is none. */
function journalOn(emulator: Ec2Emulator, instanceId: string) {
  const decoded = decodeJournal(emulator.instance(instanceId).tags[JOURNAL_TAG_KEY] ?? "");
  return "journal" in decoded ? decoded.journal : expect.fail(`no readable journal: ${decoded.problem}`);
}

describe("stop protection: stopProtection lift (real SDK over HTTP)", () => {
  const ctx = useEmulator(FAST_TRANSITIONS);
  const lift = { stopProtection: "lift" as const };

  it("preview: no blocker, a warning that protection is lifted for the cycle, a DryRun of ModifyInstanceAttribute, nothing changed", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, { disableApiStop: true }, lift);
    const { plan } = await ctx.engine().inspect(desired, { checkPermissions: true });

    expect(plan.blockers).to.deep.equal([]);
    expect(plan.warnings.map((w) => w.code)).to.include("stop-protection-lifted");
    expect(plan.warnings.find((w) => w.code === "stop-protection-lifted")?.message).to.contain(
      `Instance ${instanceId} has stop protection (disableApiStop); it will be lifted for the cycle and turned on again`,
    );
    expect(plan.steps.map((s) => s.kind)).to.deep.equal(LIFTED_CYCLE_STEPS);
    expect(ctx.emulator.calls.some((c) => c.action === "ModifyInstanceAttribute" && c.dryRun)).to.equal(true);
    expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
  });

  it("an unprotected instance with lift: no lift, no warning, the usual cycle", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, {}, lift);
    const applied = await ctx.engine().apply(desired);
    expect(applied.warnings.join("\n")).to.not.contain("stop protection");
    expect(mutatingActions(ctx.emulator)).to.not.include("ModifyInstanceAttribute");
    expect(ctx.emulator.instance(instanceId)).to.deep.include({
      nestedVirtualization: "enabled",
      disableApiStop: false,
    });
  });

  it("lifts the protection after the journal records it, cycles, and turns it on again once running", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, { disableApiStop: true }, lift);
    const applied = await ctx.engine().apply(desired);

    expect(mutatingActions(ctx.emulator)).to.deep.equal(LIFTED_CYCLE);
    expect(protectionCalls(ctx.emulator)).to.deep.equal(["false", "true"]);
    const claim = ctx.emulator.mutatingCalls()[0];
    expect(JSON.parse(claim?.params["Tag.1.Value"] ?? "{}")).to.include({ v: 3, lift: true });
    expect(ctx.emulator.instance(instanceId)).to.deep.include({
      state: "running",
      nestedVirtualization: "enabled",
      disableApiStop: true,
    });
    expect(ctx.emulator.instance(instanceId).tags).to.not.have.property(JOURNAL_TAG_KEY);
    expect(applied.warnings.join("\n")).to.contain("it will be lifted for the cycle");
  });

  it("a refused CPU modify: the instance is started again and its protection turned on again", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, { disableApiStop: true }, lift);
    ctx.emulator.faults.failNext("ModifyInstanceCpuOptions", "InvalidParameterCombination", "simulated rejection", 1, {
      dryRun: false,
    });
    const error = await rejection(ctx.engine().apply(desired));

    expect(error).to.be.instanceOf(CycleFailedError);
    expect(error.message).to.contain("simulated rejection").and.contain("started again");
    expect(protectionCalls(ctx.emulator)).to.deep.equal(["false", "true"]);
    const live = ctx.emulator.instance(instanceId);
    expect(live).to.deep.include({ state: "running", nestedVirtualization: "disabled", disableApiStop: true });
    expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
  });

  it("a refused lift: nothing is stopped, the protection stays on, the journal is taken off", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, { disableApiStop: true }, lift);
    ctx.emulator.faults.failNext("ModifyInstanceAttribute", "InvalidParameterValue", "attribute locked", 1, {
      dryRun: false,
    });
    const error = await rejection(ctx.engine().apply(desired));

    expect(error).to.be.instanceOf(CycleFailedError);
    expect(error.message)
      .to.contain(`ModifyInstanceAttribute (turning stop protection off) failed on ${instanceId}`)
      .and.contain("attribute locked")
      .and.contain("was not stopped");
    expect(mutatingActions(ctx.emulator)).to.not.include("StopInstances");
    // The refused lift, then the restore that turns it on whatever the lift did.
    expect(protectionCalls(ctx.emulator)).to.deep.equal(["false", "true"]);
    const live = ctx.emulator.instance(instanceId);
    expect(live).to.deep.include({ state: "running", disableApiStop: true });
    expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
  });

  it("a refused restore: the error says so, the journal stays, and the next run turns the protection on", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, { disableApiStop: true }, lift);
    const engine = ctx.engine();
    // Let the lift through, then refuse the restore and its retry after the failure.
    const applying = rejection(engine.apply(desired));
    await waitForCall(ctx.emulator, (c) => c.action === "StartInstances" && !c.dryRun);
    ctx.emulator.faults.failNext("ModifyInstanceAttribute", "InvalidParameterValue", "attribute locked", 2, {
      dryRun: false,
    });
    const error = await applying;

    expect(error.message)
      .to.contain(`ModifyInstanceAttribute failed on ${instanceId}`)
      .and.contain("Turning stop protection (disableApiStop) on again")
      .and.contain("the next run turns it on again");
    expect(ctx.emulator.instance(instanceId)).to.deep.include({
      state: "running",
      nestedVirtualization: "enabled",
      disableApiStop: false,
    });
    expect(journalOn(ctx.emulator, instanceId).stopProtectionLifted).to.equal(true);

    ctx.emulator.resetCalls();
    await engine.apply(desired);
    expect(mutatingActions(ctx.emulator)).to.deep.equal(["ModifyInstanceAttribute", "DeleteTags"]);
    expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", disableApiStop: true });
    expect(ctx.emulator.instance(instanceId).tags).to.not.have.property(JOURNAL_TAG_KEY);
  });

  it("without ec2:ModifyInstanceAttribute the preview names the permission and changes nothing", async () => {
    const { desired } = seeded(ctx.emulator, { disableApiStop: true }, lift);
    ctx.emulator.permissions.deny("ModifyInstanceAttribute");
    const { plan } = await ctx.engine().inspect(desired, { checkPermissions: true });
    expect(plan.blockers.map((b) => b.message).join("\n")).to.contain("ec2:ModifyInstanceAttribute");
    expect(plan.steps).to.deep.equal([]);

    const error = await rejection(ctx.engine().apply(desired));
    expect(error).to.be.instanceOf(BlockedError);
    expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
  });

  describe("killed (SIGKILL) at every step: the next run ends with the instance running, enabled and protected", () => {
    /** Killed once the `nth` (non-DryRun) call of `action` has taken effect, before its answer arrives. */
    const steps: { after: string; action: string; nth: number; protectedWhenKilled: boolean }[] = [
      { after: "the journal write (before the lift)", action: "CreateTags", nth: 1, protectedWhenKilled: true },
      { after: "the lift", action: "ModifyInstanceAttribute", nth: 1, protectedWhenKilled: false },
      { after: "the stop", action: "StopInstances", nth: 1, protectedWhenKilled: false },
      { after: "the CPU modify", action: "ModifyInstanceCpuOptions", nth: 1, protectedWhenKilled: false },
      { after: "the start", action: "StartInstances", nth: 1, protectedWhenKilled: false },
      { after: "the restore", action: "ModifyInstanceAttribute", nth: 2, protectedWhenKilled: true },
    ];
    for (const step of steps) {
      it(`after ${step.after}`, async () => {
        const { instanceId, desired } = seeded(ctx.emulator, { disableApiStop: true }, lift);
        const target = (c: CallRecord) => !c.dryRun && c.action === step.action;
        // The call takes effect, but its answer is held: the process is killed before it hears back.
        // (Only the nth call matters; earlier ones of the action are answered late, which changes nothing.)
        ctx.emulator.faults.holdReply(step.action, step.nth === 1 ? 60_000 : 0);
        if (step.nth > 1) void holdFrom(ctx.emulator, target, step.nth - 1);
        const child = applyProcess(ctx.emulator.endpoint, [
          { instanceId, setting: "enabled", delayMs: 0, stopProtection: "lift" },
        ]);
        await child.ready;
        child.begin(Date.now());
        await waitForCall(ctx.emulator, target, step.nth);
        child.kill();
        await child.outcomes;
        ctx.emulator.faults.holdReply(step.action, 0);

        // The killed run got exactly this far.
        const done = steps.indexOf(step) + 1;
        expect(mutatingActions(ctx.emulator)).to.deep.equal(LIFTED_CYCLE.slice(0, done));
        expect(ctx.emulator.instance(instanceId).disableApiStop).to.equal(step.protectedWhenKilled);
        expect(journalOn(ctx.emulator, instanceId).stopProtectionLifted).to.equal(true);
        expireLease(ctx.emulator, instanceId);
        ctx.emulator.resetCalls();
        const applied = await ctx.engine().apply(desired);

        expect(applied.nestedVirtualization).to.equal("enabled");
        const live = ctx.emulator.instance(instanceId);
        expect(live).to.deep.include({ state: "running", nestedVirtualization: "enabled", disableApiStop: true });
        expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
        // The next run's last word on the protection is "on".
        expect(protectionCalls(ctx.emulator).at(-1)).to.equal("true");
      });
    }
  });
});

/** Holds the answers to the calls matching `match` once `count` of them have been answered. */
async function holdFrom(emulator: Ec2Emulator, match: (c: CallRecord) => boolean, count: number): Promise<void> {
  await waitForCall(emulator, match, count);
  const action = emulator.calls.find(match)?.action ?? "";
  emulator.faults.holdReply(action, 60_000);
}

/** Resolves once the emulator has answered (or is holding the answer to) the `nth` call matching `match`. */
async function waitForCall(emulator: Ec2Emulator, match: (c: CallRecord) => boolean, nth = 1): Promise<void> {
  const until = Date.now() + 30_000;
  while (emulator.calls.filter(match).length < nth) {
    if (Date.now() > until) throw new Error("the awaited call never came");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * The killed run's lease would run out after its stop and start timeouts; the next run here comes
 * after that (as the next CI job would), so the journal's lease is moved into the past.
 */
function expireLease(emulator: Ec2Emulator, instanceId: string): void {
  const journal = journalOn(emulator, instanceId);
  emulator.setTag(instanceId, JOURNAL_TAG_KEY, encodeJournal({ ...journal, leaseUntil: new Date(0).toISOString() }));
}
