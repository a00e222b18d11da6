import type { Instance } from "@aws-sdk/client-ec2";
import { CapacityAwareStart, StartCapacityError } from "./capacity";
import {
  awsErrorCode,
  BlockedError,
  CancelledError,
  CycleFailedError,
  describeError,
  NestedVirtError,
  WaitTimeoutError,
} from "./errors";
import { encodeFailedCycle, FAILED_CYCLE_HOLD_MS, FAILED_CYCLE_TAG_KEY, RETRY_FAILED_CYCLE_ENV } from "./failed-cycle";
import type { Ec2Gateway } from "./gateway";
import { admits, GROUP_TAG_KEY, groupMemberOf, SLOT_TAG_KEY, SlotBusyError, type SlotLeases } from "./group-slots";
import { waitInstanceStatusOk } from "./health-gate";
import { encodeJournal, JOURNAL_TAG_KEY } from "./journal";
import { journalTagOf } from "./lease";
import { missingPermissionBlocker, STEP_ACTIONS, stopProtectedBlocker } from "./plan";
import { RolloutHaltedError, type RolloutSettings, type RolloutSlot, rolloutGroupFor } from "./rollout";
import { type StandbyCycle, StandbyError } from "./standby";
import { standbyGroupOf } from "./standby-steps";
import { StopProtectionLift } from "./stop-protection";
import type { CycleJournal, CyclePlan, CycleTimings, InstanceFacts, StepKind } from "./types";
import { sleep, type WaitOptions, waitInstanceRunning, waitInstanceStopped } from "./waiters";

export interface CycleOptions {
  stopTimeoutSeconds: number;
  startTimeoutSeconds: number;
  /** Bound of the status-check wait (a plan with a `wait-healthy` step). */
  healthyTimeoutSeconds: number;
  /** The instance's rollout group, if any: its slot is held from the stop until running (and healthy). */
  rollout?: RolloutSettings;
  /**
   * With a rollout group: the slot leases of this run on the connection. The claim then also tags
   * the instance with its group and a slot lease, and stops it only when the group, read across
   * the region after the claim, has room for it (the bound holds across runs).
   */
  slotLeases?: SlotLeases;
  pollIntervalMs: number;
  log: (line: string) => void;
  /**
   * This run's token, written into the journal: the lease it holds on the instance. One per process
   * (the engine lets one cycle at a time work on an instance), so journals written together agree.
   */
  runToken: string;
  /**
   * How long the journal must stay ours after writing it before the instance is stopped; by default
   * three times the journal write's own round trip, within CLAIM_SETTLE_MS.
   */
  claimSettleMs?: number;
  /**
   * Told to stop: no StopInstances is issued after it fires. A cycle already past its stop is
   * finished up to the instance running again, so only the waits before the stop listen to it.
   */
  signal?: AbortSignal;
  /** Told as each step begins (a front end's progress display). */
  onStep?: (step: StepKind) => void;
  /** The instance's trip through Standby, for a plan with standby steps (`autoScaling = "standby"`). */
  standby?: StandbyCycle;
  /** The check inside the guest (a plan with a `verify-guest` step, see guest-check.ts). */
  verifyGuest?: () => Promise<void>;
}

/** What the cycle did, for the resource's outputs. */
export interface CycleRecord {
  timings?: CycleTimings;
  /** The instance as the wait that found it running again saw it: a read after the cycle. */
  runningAgain?: Instance;
}

/**
 * Another run's journal appeared on the instance while this run claimed it (EC2 keeps the last
 * tag written). Nothing was stopped; the engine plans again from fresh facts.
 */
export class ClaimLostError extends Error {
  constructor(readonly instanceId: string) {
    super(`another run claimed ${instanceId} first`);
  }
}

/**
 * Bounds of the claim's settle. It must outlast EC2's tag propagation and a competing run's
 * read-then-write of the journal, which scale with the endpoint's round trip. A competitor slower
 * than that is caught at the read-back, provided its stop has landed by then: the settle also
 * outlasts a read-back, a batching window and a StopInstances.
 */
export const CLAIM_SETTLE_MS = { min: 150, max: 2000 } as const;

/**
 * While the instance is down because of the cycle, the calls that keep it down (the modify, the
 * start) retry server and transient errors for this long after their first attempt, not for the
 * whole attempt budget: then the instance is started again in its old configuration. A modify
 * answered with 5xx thus adds this window and one answer's round trip to the outage (the issue
 * allows 20 s). Throttling is retried with the standard budget (see FleetRetryStrategy).
 */
export const DOWNTIME_RETRY_WINDOW_MS = 15_000;

/**
 * Facts younger than this need no second look before the journal is written: a competitor's whole
 * claim (write, settle of at least CLAIM_SETTLE_MS.min, read-back, stop) does not fit in it, and a
 * competitor that stopped the instance meanwhile is caught at the read-back.
 */
export const FRESH_FACTS_MS = CLAIM_SETTLE_MS.min;

/** The settle after a journal write that took `writeRoundTripMs`: three round trips, within bounds. */
export function claimSettleFor(writeRoundTripMs: number): number {
  return Math.min(CLAIM_SETTLE_MS.max, Math.max(CLAIM_SETTLE_MS.min, 3 * writeRoundTripMs));
}

/**
 * How long an instance may sit `stopped` with a journal before its holder counts as gone: a live
 * holder polls and moves on within a poll interval; the rest is room for a slow or busy machine.
 */
export function stallAllowanceMs(options: Pick<CycleOptions, "claimSettleMs" | "pollIntervalMs">): number {
  return (options.claimSettleMs ?? CLAIM_SETTLE_MS.max) + 3 * options.pollIntervalMs + 5000;
}

/**
 * Runs a plan's steps in order. If a step fails after the instance was stopped (the modify is
 * refused, the SDK gives up on StartInstances…), the instance is started again before the error
 * is raised: a previously running instance is never left stopped by a failure we can act on. Only
 * an instance still stuck in "stopping" cannot be started; its journal lets the next run finish.
 */
export async function executeCycle(
  gateway: Ec2Gateway,
  facts: InstanceFacts,
  plan: CyclePlan,
  options: CycleOptions,
): Promise<CycleRecord> {
  const id = facts.instanceId;
  const beforeStop = { pollIntervalMs: options.pollIntervalMs, signal: options.signal };
  const stopWait = { timeoutSeconds: options.stopTimeoutSeconds, pollIntervalMs: options.pollIntervalMs };
  const startWait = { timeoutSeconds: options.startTimeoutSeconds, pollIntervalMs: options.pollIntervalMs };
  const kinds = plan.steps.map((s) => s.kind);
  const stamp = () => new Date().toISOString();
  let stopRequested = false;
  /** The instance went down between our plan and our claim: another run whose journal we overwrote stopped it. */
  let stoppedByOther = false;
  let startRequested = false;
  let stoppedAt: string | undefined;
  let modifiedAt: string | undefined;
  let startedAt: string | undefined;
  let healthyAt: string | undefined;
  let guestVerifiedAt: string | undefined;
  let runningAgain: Instance | undefined;
  let slot: RolloutSlot | undefined;
  const group = options.rollout ? rolloutGroupFor(options.rollout, id) : undefined;
  // A cycle resumed from a journal has been down since the earlier run stopped the instance.
  const resumedFrom = facts.journal && facts.state !== "running" ? Date.parse(facts.journal.startedAt) : NaN;
  let downtimeStart: number | undefined = Number.isFinite(resumedFrom) ? resumedFrom : undefined;

  const now = cohortClock(Date.now());
  // A standby adds a wait for Standby (bounded like the stop) and for InService (bounded like the start).
  const waits = kinds.includes("wait-in-service") ? 2 : 1;
  const leaseMs =
    (options.claimSettleMs ?? CLAIM_SETTLE_MS.max) +
    waits * (options.stopTimeoutSeconds + options.startTimeoutSeconds) * 1000 +
    stallAllowanceMs(options);
  // Whole seconds: the journals of a fleet's cycles claimed together then read alike, so EC2 gets
  // one CreateTags (and later one DeleteTags) for all of them instead of one per instance.
  const journal: CycleJournal = {
    priorState:
      facts.journal?.priorState ?? (facts.state === "stopped" || facts.state === "stopping" ? "stopped" : "running"),
    from: facts.journal?.from ?? facts.nestedVirtualization,
    to: plan.desiredSetting,
    startedAt: facts.journal?.startedAt || wholeSecond(now, Math.floor),
    runToken: options.runToken,
    leaseUntil: wholeSecond(now + leaseMs, Math.ceil),
    stallMs: stallAllowanceMs(options),
    ...(standbyGroupOf(facts, kinds) ? { standbyGroup: standbyGroupOf(facts, kinds) } : {}),
    ...(kinds.includes("lift-stop-protection") || facts.journal?.stopProtectionLifted
      ? { stopProtectionLifted: true }
      : {}),
  };
  const ourTag = encodeJournal(journal);
  // The journal value this run answers for: the one it found (resuming) or the one it wrote.
  let heldTag = facts.journalTag;
  const shared =
    group && options.slotLeases ? { leases: options.slotLeases, slotTag: options.slotLeases.valueAt(now) } : undefined;
  /** This cycle's group and slot tags are on the instance (written with the journal, removed once out of the group's count). */
  let slotTagged = false;
  // The group's slot is held until the instance is back in service: healthy, and proven inside the guest when asked.
  const gated = kinds.includes("wait-healthy") || kinds.includes("verify-guest");
  const protection = new StopProtectionLift(gateway, id, facts.journal?.stopProtectionLifted === true);
  // Starts that fail for lack of capacity are retried within timeouts.start (capacity.ts).
  const starter = new CapacityAwareStart(gateway, id, {
    timeoutSeconds: options.startTimeoutSeconds,
    pollIntervalMs: options.pollIntervalMs,
    retryWindowMs: DOWNTIME_RETRY_WINDOW_MS,
    log: options.log,
  });

  /** The tags that count this instance in its group across runs; with `values`, only while they are still ours. */
  function slotTags(values: boolean): { Key: string; Value?: string }[] {
    if (!group) return [];
    return values && shared
      ? [
          { Key: GROUP_TAG_KEY, Value: group.name },
          { Key: SLOT_TAG_KEY, Value: shared.slotTag },
        ]
      : [{ Key: GROUP_TAG_KEY }, { Key: SLOT_TAG_KEY }];
  }

  /** Gives the group slot up across runs: no more renewals, and (unless the instance stays down) no more tags. */
  async function releaseSharedSlot(untag: boolean): Promise<void> {
    shared?.leases.release(id);
    if (!slotTagged || !untag) return;
    slotTagged = false;
    await gateway.deleteTags(id, slotTags(false)).catch(() => undefined);
  }

  /**
   * Write-then-read-back: the last writer wins in EC2, so only the run still named after the settle
   * stops the instance. A competitor whose write landed only after our read-back (a stalled
   * process) has overwritten our journal; then its read-back finds the instance already stopping,
   * and it finishes the cycle without a stop of its own (`stoppedByOther`).
   */
  async function claim(): Promise<void> {
    // Facts read moments ago stand in for a fresh look: nobody can have finished a claim since.
    const fresh = facts.readAt !== undefined && Date.now() - facts.readAt < FRESH_FACTS_MS;
    if (!fresh && (await gateway.tagValue(id, JOURNAL_TAG_KEY)) !== heldTag) throw new ClaimLostError(id);
    const sentAt = Date.now();
    const tags: Record<string, string> = { [JOURNAL_TAG_KEY]: ourTag };
    if (group && shared) Object.assign(tags, { [GROUP_TAG_KEY]: group.name, [SLOT_TAG_KEY]: shared.slotTag });
    await gateway.createTags(id, tags);
    heldTag = ourTag;
    if (shared) {
      slotTagged = true;
      shared.leases.hold(id);
    }
    await sleep(options.claimSettleMs ?? claimSettleFor(Date.now() - sentAt), options.signal);
    // In a shared group the read-back is the group's read: one call tells whether the claim held and who else is down.
    const members = group && shared ? await gateway.groupMembers(GROUP_TAG_KEY, group.name) : undefined;
    const after = members?.find((m) => m.InstanceId === id) ?? (await gateway.describeInstance(id));
    if (journalTagOf(after) !== ourTag) {
      heldTag = undefined;
      shared?.leases.release(id);
      // Another run's journal replaced ours; our slot lease would count for nobody, so take it off.
      if (slotTagged)
        await gateway.deleteTags(id, [{ Key: SLOT_TAG_KEY, Value: shared?.slotTag }]).catch(() => undefined);
      slotTagged = false;
      throw new ClaimLostError(id);
    }
    if (members && group) {
      const verdict = admits(members.map(groupMemberOf), id, group.maxUnavailable, Date.now());
      if (!verdict.admitted) {
        // Other runs hold the group's slots: take the claim back whole, so nobody waits for this one.
        await gateway.deleteTags(id, [{ Key: JOURNAL_TAG_KEY, Value: ourTag }, ...slotTags(true)]);
        heldTag = undefined;
        slotTagged = false;
        shared?.leases.release(id);
        throw new SlotBusyError(id, group.name, verdict.holders);
      }
    }
    const state = after?.State?.Name;
    stoppedByOther = facts.state === "running" && (state === "stopping" || state === "stopped");
  }

  /**
   * A run that ends with its journal still on the instance keeps the journal (the next run finishes
   * the cycle from it) but gives up its lease, so that run need not wait for this one's stall allowance.
   */
  async function releaseLease(): Promise<void> {
    if (heldTag !== ourTag) return;
    const released = encodeJournal({ ...journal, leaseUntil: new Date().toISOString() });
    await gateway.createTag(id, JOURNAL_TAG_KEY, released).catch(() => undefined);
    heldTag = released;
  }

  /** Why this cycle may not stop the instance now: the run was told to stop, or its group halted. */
  function stopForbidden(): Error | undefined {
    try {
      options.signal?.throwIfAborted();
      group?.throwIfHalted(id);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  const standby = (): StandbyCycle => {
    if (!options.standby) throw new Error(`plan for ${id} has standby steps but the cycle has no Auto Scaling access`);
    return options.standby;
  };

  const run: Record<StepKind, () => Promise<void>> = {
    "enter-standby": () => standby().enter(),
    "wait-standby": () => standby().waitStandby(),
    "exit-standby": () => standby().exit(),
    "wait-in-service": () => standby().waitInService(),
    "acquire-slot": async () => {
      slot = await group?.acquire(id, options.signal);
    },
    "write-journal": claim,
    stop: async () => {
      // A cycle of the group may have failed while this one claimed the instance: then no stop.
      const forbidden = stopForbidden();
      if (forbidden) throw forbidden;
      stopRequested = true;
      downtimeStart = Date.now();
      if (stoppedByOther) {
        options.log(`${id} is already stopping (another run's stop); finishing the cycle without another stop`);
        return;
      }
      // Asked again as the batched stop goes out: the group may halt, or the run be told to stop, meanwhile.
      let withdrawn: Error | undefined;
      try {
        await gateway.stopInstance(id, false, () => {
          withdrawn = stopForbidden();
          return withdrawn;
        });
      } catch (error) {
        // Withdrawn before it went out, or refused by EC2: nothing was stopped. Anything else
        // (throttling given up on, a lost connection) may have stopped the instance, and is
        // handled as a stop that happened.
        if (withdrawn || isRefusal(error)) stopRequested = false;
        throw stopRefusal(id, error);
      }
    },
    "wait-stopped": async () => {
      // Before our own stop this waits for someone else's (abortable); after it, it is part of the cycle.
      await waitInstanceStopped(gateway, id, stopRequested ? stopWait : { ...stopWait, ...beforeStop });
      stoppedAt = stamp();
      downtimeStart ??= Date.now();
    },
    modify: async () => {
      // An instance this cycle will start again is down now: its retries are downtime, so bounded.
      const window = kinds.includes("start") ? DOWNTIME_RETRY_WINDOW_MS : undefined;
      await gateway.modifyNestedVirtualization(id, plan.desiredSetting, false, window);
      modifiedAt = stamp();
    },
    start: async () => {
      await starter.start();
      startRequested = true; // accepted by EC2: a failure from here on is reported, not retried
    },
    "wait-running": async () => {
      const before = !stopRequested && !startRequested && facts.state === "pending";
      runningAgain = startRequested
        ? await starter.waitRunning()
        : await waitInstanceRunning(gateway, id, before ? { ...startWait, ...beforeStop } : startWait);
      if (kinds.includes("start")) startedAt = stamp();
    },
    "clear-journal": async () => {
      // Out of the group's count with the journal, unless the status checks still have to pass.
      const leaving = slotTagged ? (gated ? [] : slotTags(false)) : staleSlotTags(facts);
      const journalTag = heldTag !== undefined ? [{ Key: JOURNAL_TAG_KEY, Value: heldTag }] : [];
      if (journalTag.length + leaving.length > 0) await gateway.deleteTags(id, [...journalTag, ...leaving]);
      if (leaving.length > 0 && slotTagged) {
        slotTagged = false;
        shared?.leases.release(id);
      }
      heldTag = undefined;
    },
    "wait-healthy": async () => {
      await waitInstanceStatusOk(gateway, id, {
        timeoutSeconds: options.healthyTimeoutSeconds,
        pollIntervalMs: options.pollIntervalMs,
        signal: options.signal,
      });
      healthyAt = stamp();
      if (!kinds.includes("verify-guest")) await releaseSharedSlot(true);
    },
    "verify-guest": async () => {
      if (!options.verifyGuest) throw new Error("the plan checks the guest, but the engine gave the cycle no check");
      await options.verifyGuest();
      guestVerifiedAt = stamp();
      await releaseSharedSlot(true);
    },
    "lift-stop-protection": () => protection.lift(),
    "restore-stop-protection": () => protection.restore(),
  };

  let current: StepKind | undefined;
  try {
    for (const step of plan.steps) {
      current = step.kind;
      options.log(step.description);
      options.onStep?.(step.kind);
      await run[step.kind]();
    }
  } catch (error) {
    if (error instanceof ClaimLostError || error instanceof SlotBusyError) {
      slot?.release(); // the engine plans again and queues anew
      throw error;
    }
    // Lifted stop protection goes back on first, whatever failed; if it cannot, the journal stays for the next run.
    const protectionLeftOff = await protection.restoreAfterFailure(options.log);
    const liftFailed = current === "lift-stop-protection";
    // Auto Scaling refusing the standby before the stop leaves the instance as it was, too.
    const nothingDone =
      error instanceof RolloutHaltedError ||
      error instanceof BlockedError ||
      (error instanceof StandbyError && !stopRequested) ||
      liftFailed;
    if (!stopRequested && (options.signal?.aborted || nothingDone)) {
      slot?.release();
      await releaseSharedSlot(true);
      // Stopped (told to, or refused) before stopping anything: leave no journal of ours behind,
      // but keep an interrupted cycle's journal for the next run, without our lease.
      if (heldTag === ourTag && (facts.journal || protectionLeftOff)) await releaseLease();
      else if (heldTag === ourTag) await gateway.deleteTag(id, JOURNAL_TAG_KEY, ourTag).catch(() => undefined);
      if (liftFailed) throw liftRefusal(id, error, protectionLeftOff);
      if (nothingDone) throw error;
      throw new CancelledError(id, `nothing was changed.${protectionLeftOff ? ` ${protectionLeftOff}` : ""}`);
    }
    if (protectionLeftOff) options.log(protectionLeftOff);
    // Halt the group first, so no waiting cycle gets this slot while this instance is restarted.
    if (group && !(error instanceof RolloutHaltedError)) {
      group.halt(id, `${STEP_ACTIONS[current ?? "modify"] ?? `waiting (${current})`} failed: ${describeError(error)}`);
    }
    const stuckStopping = error instanceof WaitTimeoutError && error.target === "stopped";
    // Restart only an instance that is down because of this cycle (or the interrupted one it resumes),
    // and only once: a start that EC2 accepted but that did not come up is reported, not repeated.
    const down = stopRequested || (facts.state !== "running" && facts.state !== "pending");
    // Starts that failed for capacity until timeouts.start are not tried once more: the journal stays for the next run.
    const mustRestart =
      down && kinds.includes("start") && !startRequested && !stuckStopping && !(error instanceof StartCapacityError);
    if (!mustRestart) {
      slot?.release();
      // An instance left down keeps its group tags; their lease lapses, as a dead run's does.
      await releaseSharedSlot(!stopRequested || startedAt !== undefined);
      if (stopRequested) await releaseLease();
      if (error instanceof NestedVirtError) throw error;
      const what = STEP_ACTIONS[current ?? "modify"] ?? current;
      throw new CycleFailedError(
        id,
        `${what} failed on ${id}: ${describeError(error)}. ${outcome(id, { stopRequested, startedAt, modifiedAt, setting: plan.desiredSetting })}${protectionLeftOff ? ` ${protectionLeftOff}` : ""}`,
        !stopRequested || startedAt !== undefined,
        error,
      );
    }
    throw await restartAfterFailure(
      gateway,
      {
        facts,
        failedStep: current ?? "stop",
        modified: modifiedAt !== undefined,
        desired: plan.desiredSetting,
        // Protection still off: the journal stays, so the next run turns it on again.
        heldTag: protectionLeftOff ? undefined : heldTag,
        downSince: downtimeStart,
        ...(protectionLeftOff ? { note: protectionLeftOff } : {}),
      },
      error,
      startWait,
      options.log,
    )
      .then(async (failure) => {
        if (protectionLeftOff) await releaseLease();
        await releaseSharedSlot(failure.restored);
        return failure;
      })
      .finally(() => slot?.release());
  }
  slot?.release();
  await releaseSharedSlot(true);
  // The change went through: an earlier failure recorded on the instance no longer holds anything off.
  if (modifiedAt && facts.failedCycleTag !== undefined) {
    await gateway.deleteTag(id, FAILED_CYCLE_TAG_KEY, facts.failedCycleTag).catch(() => undefined);
  }

  if (!modifiedAt) return runningAgain ? { runningAgain } : {};
  const downtimeSeconds = downtimeStart !== undefined && startedAt ? (Date.now() - downtimeStart) / 1000 : 0;
  // Absent timestamps are left out rather than set to undefined: front ends serialize these as-is.
  return {
    timings: {
      ...(stoppedAt ? { stoppedAt } : {}),
      modifiedAt,
      ...(startedAt ? { startedAt } : {}),
      downtimeSeconds: Math.round(downtimeSeconds * 1000) / 1000,
      ...(healthyAt ? { healthyAt } : {}),
      ...(slot ? { slotWaitSeconds: slot.waitedSeconds } : {}),
      ...(guestVerifiedAt ? { guestVerifiedAt } : {}),
      ...(starter.attempts > 0 ? { startAttempts: starter.attempts } : {}),
    },
    ...(runningAgain ? { runningAgain } : {}),
  };
}

/** Group and slot tags an interrupted cycle left on the instance: cleared with its journal. */
function staleSlotTags(facts: InstanceFacts): { Key: string }[] {
  return [GROUP_TAG_KEY, SLOT_TAG_KEY].filter((key) => facts.tags[key] !== undefined).map((Key) => ({ Key }));
}

/** Cycles starting within this long of the first of them take its time for their journals. */
const COHORT_MS = 100;
let cohort: { startedAt: number; until: number } | undefined;

/** The journal time of a cycle starting `now`: that of its cohort, so whole seconds do not split a fleet. */
function cohortClock(now: number): number {
  if (!cohort || now > cohort.until) cohort = { startedAt: now, until: now + COHORT_MS };
  return cohort.startedAt;
}

function wholeSecond(ms: number, round: (seconds: number) => number): string {
  return new Date(round(ms / 1000) * 1000).toISOString();
}

/** EC2 refused the call itself, the same way on every attempt: it did nothing. */
function isRefusal(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code === "OperationNotPermitted" || code === "UnauthorizedOperation";
}

/** A refused StopInstances as the blocker the preflight would have reported; other errors as they are. */
function stopRefusal(id: string, error: unknown): unknown {
  switch (awsErrorCode(error)) {
    case "OperationNotPermitted":
      return new BlockedError(id, [stopProtectedBlocker(id)]);
    case "UnauthorizedOperation":
      return new BlockedError(id, [missingPermissionBlocker(id, "StopInstances")]);
    default:
      return error;
  }
}

/** A refused lift of stop protection: nothing was stopped; a missing permission as the preflight's blocker. */
function liftRefusal(id: string, error: unknown, protectionLeftOff: string | undefined): Error {
  if (awsErrorCode(error) === "UnauthorizedOperation")
    return new BlockedError(id, [missingPermissionBlocker(id, "ModifyInstanceAttribute")]);
  return new CycleFailedError(
    id,
    `ModifyInstanceAttribute (turning stop protection off) failed on ${id}: ${describeError(error)}. ${id} was not stopped and is as it was; fix the cause and run the update again.${protectionLeftOff ? ` ${protectionLeftOff}` : ""}`,
    protectionLeftOff === undefined,
    error,
  );
}

/** Where a failed cycle left the instance, in words, with what to do next. */
function outcome(
  id: string,
  done: { stopRequested: boolean; startedAt?: string; modifiedAt?: string; setting: string },
): string {
  if (done.startedAt) {
    return `The cycle itself completed: ${id} is running${done.modifiedAt ? ` with NestedVirtualization=${done.setting}` : ""}; only its journal tag ${JOURNAL_TAG_KEY} is left. Run the update again to remove it, or delete the tag by hand.`;
  }
  if (done.stopRequested) {
    return `The instance was stopped and may still be stopping; its journal tag ${JOURNAL_TAG_KEY} lets the next run finish the cycle. Run the update again once the cause is fixed.`;
  }
  return "The instance is as it was; run the update again once the cause is fixed.";
}

interface FailureContext {
  facts: InstanceFacts;
  failedStep: StepKind;
  modified: boolean;
  desired: CyclePlan["desiredSetting"];
  heldTag?: string;
  /** When the instance went down for this cycle (epoch ms), for the message. */
  downSince?: number;
  /** What else the message must say (stop protection that could not be turned on again). */
  note?: string;
}

/**
 * Starts the instance again after a failed step (its retries bounded, as the instance is down),
 * removes the journal and says what the instance has now. A failed modify is recorded on the
 * instance (FAILED_CYCLE_TAG_KEY), so that the next run does not stop it again for the same failure.
 */
async function restartAfterFailure(
  gateway: Ec2Gateway,
  context: FailureContext,
  error: unknown,
  startWait: WaitOptions,
  log: (line: string) => void,
): Promise<CycleFailedError> {
  const id = context.facts.instanceId;
  const what = STEP_ACTIONS[context.failedStep] ?? `waiting (${context.failedStep})`;
  const answer = describeError(error);
  const reason = `${what} failed on ${id}: ${answer}`;
  let setting: string = context.modified ? context.desired : context.facts.nestedVirtualization;
  log(`${reason}; starting ${id} again`);
  const recordFailure = async () => {
    if (context.failedStep !== "modify") return "";
    const failure = { to: context.desired, at: new Date().toISOString(), call: what, error: answer };
    await gateway.createTag(id, FAILED_CYCLE_TAG_KEY, encodeFailedCycle(failure)).catch(() => undefined);
    const minutes = Math.round(FAILED_CYCLE_HOLD_MS / 60_000);
    return ` Runs within ${minutes} minutes that set NestedVirtualization=${context.desired} on ${id} again fail at plan with this error, without stopping it, unless ${RETRY_FAILED_CYCLE_ENV}=true is set.`;
  };
  try {
    // A restart that meets a lack of capacity retries it too, within the start timeout.
    const restart = new CapacityAwareStart(gateway, id, {
      timeoutSeconds: startWait.timeoutSeconds,
      pollIntervalMs: startWait.pollIntervalMs,
      retryWindowMs: DOWNTIME_RETRY_WINDOW_MS,
      log,
    });
    await restart.start();
    await restart.waitRunning();
    if (context.heldTag !== undefined) await gateway.deleteTag(id, JOURNAL_TAG_KEY, context.heldTag);
    // Say what the instance has, not what this run assumed it had.
    setting = (await gateway.describeInstance(id))?.CpuOptions?.NestedVirtualization ?? setting;
  } catch (restartError) {
    const held = await recordFailure();
    return new CycleFailedError(
      id,
      `${reason}. Starting it again also failed: ${describeError(restartError)}. ${id} is stopped (or stopping); the journal tag ${JOURNAL_TAG_KEY} is still on the instance: run the update again to start it, or start it by hand.${held}${context.note ? ` ${context.note}` : ""}`,
      false,
      error,
    );
  }
  const down =
    context.downSince === undefined
      ? ""
      : ` (it was out of service for ${((Date.now() - context.downSince) / 1000).toFixed(1)} s)`;
  const held = await recordFailure();
  return new CycleFailedError(
    id,
    `${reason}. The instance was started again and has NestedVirtualization=${setting}${down}; fix the cause and run the update again.${held}${context.note ? ` ${context.note}` : ""}`,
    true,
    error,
  );
}
