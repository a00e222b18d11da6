import { expect } from "chai";
import {
  BlockedError,
  type InstanceFacts,
  RolloutHaltedError,
  StandbyError,
  StartCapacityError,
  type StepKind,
  WaitTimeoutError,
} from "../../provider/engine";
import { ClaimLostError, CycleRecord, planRecovery, type RecoveryStep } from "../../provider/engine/cycle";
import type { RecoveryKind } from "../../provider/engine/cycle/recovery";
import { SlotBusyError } from "../../provider/engine/group-slots";
import { factsOf } from "../support/facts";
import { FULL_CYCLE } from "../support/step-kinds";

const ID = "i-0123456789abcdef0";
const OUR_TAG = "our-journal";
const FOUND_TAG = "interrupted-journal";
const refused = new Error("InvalidParameterCombination: the CPU option cannot be set");

/** A record of a cycle over `kinds`; `foundTag` when the instance carried a journal. */
function recordOf(kinds: readonly StepKind[] = FULL_CYCLE, header: { foundTag?: string; rolloutGroup?: string } = {}) {
  return new CycleRecord({
    kinds,
    ourTag: OUR_TAG,
    foundTag: header.foundTag,
    resumedDownSince: undefined,
    rolloutGroup: header.rolloutGroup,
  });
}

/** Appends what each forward step records when it goes through, as the real steps do. */
function ran(record: CycleRecord, ...steps: StepKind[]): CycleRecord {
  for (const step of steps) {
    record.append({ kind: "began", phase: "forward", step });
    if (step === "write-journal") record.append({ kind: "journal", tag: OUR_TAG });
    if (step === "stop") record.append({ kind: "stop-sent", at: 1000 });
    if (step === "wait-stopped") record.append({ kind: "stopped", at: 2000 });
    if (step === "modify") record.append({ kind: "modified", at: 3000 });
    if (step === "start") record.append({ kind: "start-sent" });
    if (step === "wait-running") record.append({ kind: "running", at: 4000, instance: undefined });
    if (step === "clear-journal") record.append({ kind: "journal", tag: undefined });
    record.append({ kind: "done", phase: "forward", step, at: 5000 });
  }
  return record;
}

function failedAt(record: CycleRecord, step: StepKind, aborted = false): CycleRecord {
  record.append({ kind: "began", phase: "forward", step });
  record.append({ kind: "failed", phase: "forward", step, error: refused, aborted });
  return record;
}

function recovered(record: CycleRecord, step: RecoveryKind, detail?: string): CycleRecord {
  record.append({ kind: "began", phase: "recovery", step });
  record.append({ kind: "done", phase: "recovery", step, at: 6000, ...(detail ? { detail } : {}) });
  return record;
}

function recoveryFailed(record: CycleRecord, step: RecoveryKind): CycleRecord {
  record.append({ kind: "began", phase: "recovery", step });
  record.append({ kind: "failed", phase: "recovery", step, error: new Error("no"), aborted: false });
  return record;
}

const kindsOf = (steps: RecoveryStep[]) => steps.map((s) => s.kind);
const raisedBy = (steps: RecoveryStep[]) => {
  const last = steps[steps.length - 1];
  return last.kind === "raise" ? last.error : undefined;
};
const plan = (facts: InstanceFacts, record: CycleRecord, error: unknown = refused) =>
  planRecovery(facts, record, error);

describe("planning the recovery of a failed cycle (pure)", () => {
  it("restarts an instance the cycle stopped, clears its journal and records the failed modify", () => {
    const record = failedAt(ran(recordOf(), "write-journal", "stop", "wait-stopped"), "modify");
    const steps = plan(factsOf(), record);
    expect(steps).to.deep.equal([
      { kind: "restart" },
      { kind: "clear-journal", tag: OUR_TAG },
      { kind: "read-setting" },
      { kind: "record-failed-modify" },
      { kind: "release-shared-slot", untag: true },
      { kind: "release-rollout-slot" },
      { kind: "raise", error: "restarted" },
    ]);
  });

  it("does not record a failure on the instance when the stop wait failed rather than the modify", () => {
    const record = failedAt(ran(recordOf(), "write-journal", "stop"), "wait-stopped");
    const steps = plan(factsOf(), record, new Error("connection reset"));
    expect(kindsOf(steps)).to.include("restart");
    expect(kindsOf(steps)).not.to.include("record-failed-modify");
  });

  it("leaves a stopped instance stopped: a failed modify of it starts nothing", () => {
    const record = failedAt(recordOf(["modify"]), "modify");
    const steps = plan(factsOf({ state: "stopped" }), record);
    expect(kindsOf(steps)).not.to.include("restart");
    expect(steps).to.deep.equal([
      { kind: "release-rollout-slot" },
      { kind: "release-shared-slot", untag: true },
      { kind: "raise", error: "cycle-failed" },
    ]);
  });

  it("restores stop protection before anything else", () => {
    const record = failedAt(ran(recordOf(), "write-journal", "lift-stop-protection", "stop", "wait-stopped"), "modify");
    const steps = plan(factsOf(), record);
    expect(steps[0]).to.deep.equal({ kind: "restore-stop-protection" });
    expect(kindsOf(steps).filter((k) => k === "restore-stop-protection")).to.have.length(1);
  });

  it("restores the protection an interrupted cycle lifted, though this plan lifts nothing", () => {
    const facts = factsOf({
      state: "stopped",
      journal: { priorState: "running", from: "disabled", to: "enabled", startedAt: "", stopProtectionLifted: true },
    });
    const record = failedAt(recordOf(["write-journal", "modify", "start"], { foundTag: FOUND_TAG }), "write-journal");
    expect(plan(facts, record)[0]).to.deep.equal({ kind: "restore-stop-protection" });
  });

  it("owes no protection once the cycle turned it on again itself", () => {
    const record = ran(recordOf(), "write-journal", "lift-stop-protection", "stop", "wait-stopped", "modify", "start");
    failedAt(ran(record, "wait-running", "restore-stop-protection"), "clear-journal");
    expect(kindsOf(plan(factsOf(), record))).not.to.include("restore-stop-protection");
  });

  it("keeps the journal when the restart fails, and says the instance is down", () => {
    const record = failedAt(ran(recordOf(), "write-journal", "stop", "wait-stopped"), "modify");
    recoveryFailed(record, "restart");
    expect(plan(factsOf(), record)).to.deep.equal([
      { kind: "record-failed-modify" },
      { kind: "release-shared-slot", untag: false },
      { kind: "release-rollout-slot" },
      { kind: "raise", error: "restart-failed" },
    ]);
  });

  it("counts a journal that could not be removed after the restart as a failed restart", () => {
    const record = failedAt(ran(recordOf(), "write-journal", "stop", "wait-stopped"), "modify");
    recoveryFailed(recovered(record, "restart"), "clear-journal");
    const steps = plan(factsOf(), record);
    expect(kindsOf(steps)).not.to.include("read-setting");
    expect(raisedBy(steps)).to.equal("restart-failed");
  });

  it("keeps the journal, without its lease, when the protection could not be turned on again", () => {
    const record = failedAt(ran(recordOf(), "write-journal", "lift-stop-protection", "stop", "wait-stopped"), "modify");
    recoveryFailed(record, "restore-stop-protection");
    expect(plan(factsOf(), record)).to.deep.equal([
      { kind: "report-protection-left-off" },
      { kind: "restart" },
      { kind: "read-setting" },
      { kind: "record-failed-modify" },
      { kind: "release-lease" },
      { kind: "release-shared-slot", untag: true },
      { kind: "release-rollout-slot" },
      { kind: "raise", error: "restarted" },
    ]);
  });

  it("does not start again an instance whose start EC2 accepted: it reports the failed wait", () => {
    const record = failedAt(
      ran(recordOf(), "write-journal", "stop", "wait-stopped", "modify", "start"),
      "wait-running",
    );
    const error = new WaitTimeoutError(ID, "running", "pending", 600, "");
    const steps = plan(factsOf(), record, error);
    expect(kindsOf(steps)).not.to.include("restart");
    expect(steps).to.deep.equal([
      { kind: "release-rollout-slot" },
      { kind: "release-shared-slot", untag: false },
      { kind: "release-lease" },
      { kind: "raise", error: "as-is" },
    ]);
  });

  it("does not start an instance still stuck in stopping; its journal stays for the next run", () => {
    const record = failedAt(ran(recordOf(), "write-journal", "stop"), "wait-stopped");
    const steps = plan(factsOf(), record, new WaitTimeoutError(ID, "stopped", "stopping", 600, ""));
    expect(kindsOf(steps)).to.deep.equal(["release-rollout-slot", "release-shared-slot", "release-lease", "raise"]);
  });

  it("does not try once more after every start failed for capacity", () => {
    const record = failedAt(ran(recordOf(), "write-journal", "stop", "wait-stopped", "modify"), "start");
    const steps = plan(factsOf(), record, new StartCapacityError(ID, 4, "Insufficient capacity.", 600));
    expect(kindsOf(steps)).not.to.include("restart");
    expect(kindsOf(steps)).to.include("release-lease");
    expect(raisedBy(steps)).to.equal("as-is");
  });

  it("takes its journal off after a refused stop: nothing was stopped", () => {
    const record = ran(recordOf(), "write-journal");
    record.append({ kind: "began", phase: "forward", step: "stop" });
    record.append({ kind: "stop-sent", at: 1000 });
    record.append({ kind: "stop-withdrawn" });
    const error = new BlockedError(ID, []);
    record.append({ kind: "failed", phase: "forward", step: "stop", error, aborted: false });
    expect(plan(factsOf(), record, error)).to.deep.equal([
      { kind: "release-rollout-slot" },
      { kind: "release-shared-slot", untag: true },
      { kind: "remove-journal" },
      { kind: "raise", error: "as-is" },
    ]);
  });

  it("a run told to stop before its stop changes nothing and says it was cancelled", () => {
    const record = failedAt(ran(recordOf(), "write-journal"), "stop", true);
    const steps = plan(factsOf(), record, new Error("aborted"));
    expect(kindsOf(steps)).to.deep.equal(["release-rollout-slot", "release-shared-slot", "remove-journal", "raise"]);
    expect(raisedBy(steps)).to.equal("cancelled");
  });

  it("keeps an interrupted cycle's journal, without this run's lease, when told to stop", () => {
    const journal = {
      priorState: "running" as const,
      from: "disabled" as const,
      to: "enabled" as const,
      startedAt: "",
    };
    const record = failedAt(ran(recordOf(FULL_CYCLE, { foundTag: FOUND_TAG }), "write-journal"), "stop", true);
    const steps = plan(factsOf({ journal, journalTag: FOUND_TAG }), record, new Error("aborted"));
    expect(kindsOf(steps)).to.include("release-lease");
    expect(kindsOf(steps)).not.to.include("remove-journal");
  });

  it("leaves the journal alone when the claim was never written", () => {
    const record = failedAt(recordOf(), "write-journal", true);
    const steps = plan(factsOf(), record, new Error("aborted"));
    expect(kindsOf(steps)).to.deep.equal(["release-rollout-slot", "release-shared-slot", "raise"]);
  });

  it("a refused lift stops nothing: protection back on, journal off, the lift's own error", () => {
    const record = failedAt(ran(recordOf(), "write-journal"), "lift-stop-protection");
    expect(kindsOf(plan(factsOf(), record))).to.deep.equal([
      "restore-stop-protection",
      "release-rollout-slot",
      "release-shared-slot",
      "remove-journal",
      "raise",
    ]);
    expect(raisedBy(plan(factsOf(), record))).to.equal("lift-refused");
  });

  it("Auto Scaling refusing the standby before the stop leaves the instance as it was", () => {
    const record = failedAt(ran(recordOf(), "write-journal"), "enter-standby");
    const steps = plan(factsOf(), record, new StandbyError(ID, "refused"));
    expect(kindsOf(steps)).not.to.include("restart");
    expect(raisedBy(steps)).to.equal("as-is");
  });

  it("halts the rollout group, naming the failed call, before the restart", () => {
    const record = failedAt(ran(recordOf(FULL_CYCLE, { rolloutGroup: "runners" }), "write-journal", "stop"), "modify");
    const steps = plan(factsOf(), record);
    const halt = steps.find((s) => s.kind === "halt-group");
    expect(halt).to.deep.equal({ kind: "halt-group", reason: `ModifyInstanceCpuOptions failed: ${refused.message}` });
    expect(kindsOf(steps).indexOf("halt-group")).to.be.lessThan(kindsOf(steps).indexOf("restart"));
  });

  it("does not halt a group that is already halted", () => {
    const record = failedAt(ran(recordOf(FULL_CYCLE, { rolloutGroup: "runners" }), "write-journal"), "stop");
    const steps = plan(factsOf(), record, new RolloutHaltedError(ID, "runners", "i-other", "refused"));
    expect(kindsOf(steps)).not.to.include("halt-group");
    expect(raisedBy(steps)).to.equal("as-is");
  });

  it("a lost claim only gives the slot back: the engine plans again", () => {
    const record = failedAt(recordOf(FULL_CYCLE, { rolloutGroup: "runners" }), "write-journal");
    expect(plan(factsOf(), record, new ClaimLostError(ID))).to.deep.equal([
      { kind: "release-rollout-slot" },
      { kind: "raise", error: "as-is" },
    ]);
    expect(kindsOf(plan(factsOf(), record, new SlotBusyError(ID, "runners", ["i-other"])))).to.deep.equal([
      "release-rollout-slot",
      "raise",
    ]);
  });

  it("returns a member it put in Standby to service last, once the instance runs again", () => {
    const record = ran(recordOf(), "write-journal", "enter-standby", "wait-standby", "stop", "wait-stopped");
    const steps = plan(factsOf(), failedAt(record, "modify"));
    expect(kindsOf(steps).slice(-2)).to.deep.equal(["return-to-service", "raise"]);
    expect(kindsOf(steps).indexOf("restart")).to.be.lessThan(kindsOf(steps).indexOf("return-to-service"));
  });

  it("owes no return to service once the cycle's own ExitStandby went through", () => {
    const record = ran(recordOf(), "write-journal", "enter-standby", "wait-standby", "stop", "wait-stopped", "modify");
    ran(record, "start", "wait-running", "exit-standby");
    expect(kindsOf(plan(factsOf(), failedAt(record, "wait-in-service")))).not.to.include("return-to-service");
  });

  it("after a failure past the start and the journal's removal, only gives the group slot up, tags and all", () => {
    const record = ran(recordOf([...FULL_CYCLE, "wait-healthy"]), "write-journal", "stop", "wait-stopped", "modify");
    failedAt(ran(record, "start", "wait-running", "clear-journal"), "wait-healthy");
    const steps = plan(factsOf(), record, new Error("impaired"));
    expect(steps).to.deep.equal([
      { kind: "release-rollout-slot" },
      { kind: "release-shared-slot", untag: true },
      { kind: "raise", error: "cycle-failed" },
    ]);
  });

  it("plans only what is left as the recovery goes on, and always ends with the raise", () => {
    const record = failedAt(ran(recordOf(), "write-journal", "stop", "wait-stopped"), "modify");
    const first = plan(factsOf(), record);
    recovered(recovered(record, "restart"), "clear-journal");
    record.append({ kind: "journal", tag: undefined }); // as the step records it
    recovered(record, "read-setting", "disabled");
    expect(plan(factsOf(), record)).to.deep.equal(first.slice(3));
    for (const step of first.slice(3, -1)) recovered(record, step.kind as RecoveryKind);
    expect(plan(factsOf(), record)).to.deep.equal([{ kind: "raise", error: "restarted" }]);
  });
});
