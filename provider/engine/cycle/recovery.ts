import { StartCapacityError } from "../capacity";
import { BlockedError, describeError, NestedVirtError, WaitTimeoutError } from "../errors";
import { SlotBusyError } from "../group-slots";
import { STEP_ACTIONS } from "../plan";
import { RolloutHaltedError } from "../rollout";
import { StandbyError } from "../standby";
import type { InstanceFacts } from "../types";
import { ClaimLostError } from "./claim";
import type { CycleRecord } from "./record";

/** How the failed cycle's error reaches the caller (see failure.ts for the words). */
export type RaisedError =
  /** As it came: the cause is the whole story (a refusal before the stop, an engine error). */
  | "as-is"
  /** A refused lift of stop protection: nothing was stopped. */
  | "lift-refused"
  /** The run was told to stop before its stop: nothing was changed. */
  | "cancelled"
  /** A cycle that cannot start its instance again, saying where it left it. */
  | "cycle-failed"
  /** Started again after the failure, saying with which setting. */
  | "restarted"
  /** The start after the failure failed too: the instance is down, its journal kept. */
  | "restart-failed";

/** One step of the recovery from a failed cycle. */
export type RecoveryStep =
  /** Turn lifted stop protection on again: first, whatever failed. */
  | { kind: "restore-stop-protection" }
  /** Say in the log that the protection is still off. */
  | { kind: "report-protection-left-off" }
  /** Halt the rollout group, so no waiting cycle gets this slot while this instance is restarted. */
  | { kind: "halt-group"; reason: string }
  /** Start the instance again (capacity retries included) and wait for it to run. */
  | { kind: "restart" }
  /** Remove the journal of the restarted instance: its cycle is over. */
  | { kind: "clear-journal"; tag: string }
  /** Read the setting the restarted instance has, for the message. */
  | { kind: "read-setting" }
  /** Record the failed modify on the instance, so the next run does not stop it for the same failure. */
  | { kind: "record-failed-modify" }
  /** Keep the journal for the next run, without this run's lease. */
  | { kind: "release-lease" }
  /** Remove the journal this run wrote: nothing was changed. */
  | { kind: "remove-journal" }
  /** Give the group's slot up across runs; with `untag`, its tags come off the instance too. */
  | { kind: "release-shared-slot"; untag: boolean }
  /** Give the group's slot in this process back. */
  | { kind: "release-rollout-slot" }
  /** Return a member this run put in Standby to service, if it runs. */
  | { kind: "return-to-service" }
  /** Last: raise the error. */
  | { kind: "raise"; error: RaisedError };

export type RecoveryKind = Exclude<RecoveryStep["kind"], "raise">;

/**
 * The steps that are left to recover from `error`, given what the cycle (and the recovery so far)
 * recorded; always ending with `raise`. Pure: the runner runs the first step, records how it went
 * and asks again, so a step that fails (a restart that does not come up) changes what follows.
 */
export function planRecovery(facts: InstanceFacts, record: CycleRecord, error: unknown): RecoveryStep[] {
  const tried = (step: RecoveryStep) =>
    step.kind !== "raise" && (record.done("recovery", step.kind) || record.failedAt("recovery", step.kind));
  return fullRecovery(facts, record, error).filter((step) => !tried(step));
}

/** The whole recovery, steps already tried included. */
function fullRecovery(facts: InstanceFacts, record: CycleRecord, error: unknown): RecoveryStep[] {
  // The engine plans again and queues anew: nothing was stopped, nothing is owed.
  if (error instanceof ClaimLostError || error instanceof SlotBusyError) {
    return [{ kind: "release-rollout-slot" }, ...returnToService(record), { kind: "raise", error: "as-is" }];
  }
  const restore: RecoveryStep[] = protectionOwed(facts, record) ? [{ kind: "restore-stop-protection" }] : [];
  if (!record.stopRequested && (record.failure?.aborted || nothingDone(record, error))) {
    return [...restore, ...leaveAsItWas(facts, record, error)];
  }
  const report: RecoveryStep[] = protectionLeftOff(record) ? [{ kind: "report-protection-left-off" }] : [];
  const halt: RecoveryStep[] =
    record.header.rolloutGroup !== undefined && !(error instanceof RolloutHaltedError)
      ? [{ kind: "halt-group", reason: `${failedAction(record)} failed: ${describeError(error)}` }]
      : [];
  const rest = mustRestart(facts, record, error) ? restartAndReport(record) : leaveAndReport(record, error);
  return [...restore, ...report, ...halt, ...rest];
}

/** Lifted stop protection may still be off: lifted by this cycle (the call may land although it fails) or the one it resumes. */
export function protectionOwed(facts: InstanceFacts, record: CycleRecord): boolean {
  const lifted = facts.journal?.stopProtectionLifted === true || record.began("forward", "lift-stop-protection");
  const restored =
    record.done("forward", "restore-stop-protection") !== undefined ||
    record.done("recovery", "restore-stop-protection") !== undefined;
  return lifted && !restored;
}

/** Turning the protection on again failed: the journal must stay so that the next run does it. */
export function protectionLeftOff(record: CycleRecord): boolean {
  return record.failedAt("recovery", "restore-stop-protection") !== undefined;
}

/** Refused before the stop (a halted group, a blocker, Auto Scaling refusing the standby, a refused lift): the instance is as it was. */
function nothingDone(record: CycleRecord, error: unknown): boolean {
  return (
    error instanceof RolloutHaltedError ||
    error instanceof BlockedError ||
    (error instanceof StandbyError && !record.stopRequested) ||
    record.failure?.step === "lift-stop-protection"
  );
}

/**
 * Stopped (told to, or refused) before stopping anything: leave no journal of ours behind, but keep
 * an interrupted cycle's journal (or one whose protection is still off) for the next run, without our lease.
 */
function leaveAsItWas(facts: InstanceFacts, record: CycleRecord, error: unknown): RecoveryStep[] {
  const keep = facts.journal !== undefined || protectionLeftOff(record);
  const journal: RecoveryStep[] = record.holdsOurJournal ? [{ kind: keep ? "release-lease" : "remove-journal" }] : [];
  const raised: RaisedError =
    record.failure?.step === "lift-stop-protection"
      ? "lift-refused"
      : nothingDone(record, error)
        ? "as-is"
        : "cancelled";
  return [
    { kind: "release-rollout-slot" },
    { kind: "release-shared-slot", untag: true },
    ...journal,
    ...returnToService(record),
    { kind: "raise", error: raised },
  ];
}

/**
 * Restart only an instance that is down because of this cycle (or the interrupted one it resumes),
 * and only once: a start that EC2 accepted but that did not come up is reported, not repeated; one
 * still stopping cannot be started; starts that failed for capacity until timeouts.start are not
 * tried once more. The journal then stays for the next run.
 */
function mustRestart(facts: InstanceFacts, record: CycleRecord, error: unknown): boolean {
  const stuckStopping = error instanceof WaitTimeoutError && error.target === "stopped";
  const down = record.stopRequested || (facts.state !== "running" && facts.state !== "pending");
  return (
    down &&
    record.header.kinds.includes("start") &&
    !record.startRequested &&
    !stuckStopping &&
    !(error instanceof StartCapacityError)
  );
}

/** No restart: say where the instance is. One left down keeps its group tags; their lease lapses, as a dead run's does. */
function leaveAndReport(record: CycleRecord, error: unknown): RecoveryStep[] {
  const lease: RecoveryStep[] = record.stopRequested && record.holdsOurJournal ? [{ kind: "release-lease" }] : [];
  return [
    { kind: "release-rollout-slot" },
    { kind: "release-shared-slot", untag: !record.stopRequested || record.startedAt !== undefined },
    ...lease,
    ...returnToService(record),
    { kind: "raise", error: error instanceof NestedVirtError ? "as-is" : "cycle-failed" },
  ];
}

/** Start the instance again, then clear what the cycle left (or keep it when the start failed too). */
function restartAndReport(record: CycleRecord): RecoveryStep[] {
  const leftOff = protectionLeftOff(record);
  const restarted = record.failedAt("recovery", "restart") === undefined;
  // Protection still off: the journal stays, so the next run turns it on again.
  const tag = leftOff ? undefined : record.heldTag;
  const clear: RecoveryStep[] = restarted && tag !== undefined ? [{ kind: "clear-journal", tag }] : [];
  const cleared = restarted && record.failedAt("recovery", "clear-journal") === undefined;
  const read: RecoveryStep[] = cleared ? [{ kind: "read-setting" }] : [];
  const restored = restartRestored(record);
  return [
    { kind: "restart" },
    ...clear,
    ...read,
    ...(record.failure?.step === "modify" ? [{ kind: "record-failed-modify" } as const] : []),
    ...(leftOff && record.holdsOurJournal ? [{ kind: "release-lease" } as const] : []),
    { kind: "release-shared-slot", untag: restored },
    { kind: "release-rollout-slot" },
    ...returnToService(record),
    { kind: "raise", error: restored ? "restarted" : "restart-failed" },
  ];
}

/** The restart, the journal's removal and the read after it all went through (or are still to come). */
export function restartRestored(record: CycleRecord): boolean {
  return (["restart", "clear-journal", "read-setting"] as const).every(
    (kind) => record.failedAt("recovery", kind) === undefined,
  );
}

/** A member this run put in Standby goes back into service when it runs (see StandbyCycle). */
function returnToService(record: CycleRecord): RecoveryStep[] {
  const entered = record.done("forward", "enter-standby") !== undefined;
  return entered && !record.done("forward", "exit-standby") ? [{ kind: "return-to-service" }] : [];
}

/** The failed step as the call it makes (or the wait it is), for messages. */
export function failedAction(record: CycleRecord): string {
  const step = record.current;
  return STEP_ACTIONS[step ?? "modify"] ?? `waiting (${step})`;
}
