import { CapacityAwareStart } from "../capacity";
import type { Ec2Gateway } from "../gateway";
import { encodeJournal } from "../journal";
import { type RolloutGroup, rolloutGroupFor } from "../rollout";
import { standbyGroupOf } from "../standby-steps";
import type { CycleJournal, CyclePlan, InstanceFacts, StepKind } from "../types";
import type { WaitOptions } from "../waiters";
import type { CycleOptions } from "./options";
import type { RecordHeader } from "./record";
import { CLAIM_SETTLE_MS, DOWNTIME_RETRY_WINDOW_MS, stallAllowanceMs } from "./timing";

/** The group's count across runs: this run's leases, and the slot tag value its claim writes. */
export interface SharedSlot {
  leases: NonNullable<CycleOptions["slotLeases"]>;
  slotTag: string;
}

/** What every step of one cycle works with; fixed for the cycle (what changes is in its record). */
export interface CycleContext {
  readonly gateway: Ec2Gateway;
  readonly facts: InstanceFacts;
  readonly plan: CyclePlan;
  readonly options: CycleOptions;
  readonly id: string;
  readonly kinds: readonly StepKind[];
  readonly group: RolloutGroup | undefined;
  readonly shared: SharedSlot | undefined;
  /** The journal this run writes, and its encoded value. */
  readonly journal: CycleJournal;
  readonly ourTag: string;
  /** The group's slot is held until the instance is back in service: healthy, and proven inside the guest when asked. */
  readonly gated: boolean;
  /** Starts that fail for lack of capacity are retried within timeouts.start (capacity.ts). */
  readonly starter: CapacityAwareStart;
  readonly stopWait: WaitOptions;
  readonly startWait: WaitOptions;
  /** What the waits before the stop add: they listen to the run being told to stop. */
  readonly beforeStop: { pollIntervalMs: number; signal?: AbortSignal };
}

export function cycleContext(
  gateway: Ec2Gateway,
  facts: InstanceFacts,
  plan: CyclePlan,
  options: CycleOptions,
): CycleContext {
  const id = facts.instanceId;
  const kinds = plan.steps.map((s) => s.kind);
  const group = options.rollout ? rolloutGroupFor(options.rollout, id) : undefined;
  const now = options.journalCohort.clock(Date.now());
  const journal = journalFor(facts, plan, options, now);
  const { pollIntervalMs } = options;
  return {
    gateway,
    facts,
    plan,
    options,
    id,
    kinds,
    group,
    shared:
      group && options.slotLeases
        ? { leases: options.slotLeases, slotTag: options.slotLeases.valueAt(now) }
        : undefined,
    journal,
    ourTag: encodeJournal(journal),
    gated: kinds.includes("wait-healthy") || kinds.includes("verify-guest"),
    starter: new CapacityAwareStart(gateway, id, {
      timeoutSeconds: options.startTimeoutSeconds,
      pollIntervalMs,
      retryWindowMs: DOWNTIME_RETRY_WINDOW_MS,
      log: options.log,
    }),
    stopWait: { timeoutSeconds: options.stopTimeoutSeconds, pollIntervalMs },
    startWait: { timeoutSeconds: options.startTimeoutSeconds, pollIntervalMs },
    beforeStop: { pollIntervalMs, signal: options.signal },
  };
}

/** The start of the cycle's record: its plan and the journal values around its claim. */
export function recordHeaderOf(context: CycleContext): RecordHeader {
  const { facts } = context;
  // A cycle resumed from a journal has been down since the earlier run stopped the instance.
  const resumedFrom = facts.journal && facts.state !== "running" ? Date.parse(facts.journal.startedAt) : NaN;
  return {
    kinds: context.kinds,
    ourTag: context.ourTag,
    foundTag: facts.journalTag,
    resumedDownSince: Number.isFinite(resumedFrom) ? resumedFrom : undefined,
    rolloutGroup: context.group?.name,
  };
}

/**
 * The journal of this cycle; a resumed cycle keeps what the interrupted one recorded. Whole
 * seconds: the journals of a fleet's cycles claimed together then read alike (see JournalCohort).
 */
function journalFor(facts: InstanceFacts, plan: CyclePlan, options: CycleOptions, now: number): CycleJournal {
  const kinds = plan.steps.map((s) => s.kind);
  // A standby adds a wait for Standby (bounded like the stop) and for InService (bounded like the start).
  const waits = kinds.includes("wait-in-service") ? 2 : 1;
  const leaseMs =
    (options.claimSettleMs ?? CLAIM_SETTLE_MS.max) +
    waits * (options.stopTimeoutSeconds + options.startTimeoutSeconds) * 1000 +
    stallAllowanceMs(options);
  const standbyGroup = standbyGroupOf(facts, kinds);
  return {
    priorState:
      facts.journal?.priorState ?? (facts.state === "stopped" || facts.state === "stopping" ? "stopped" : "running"),
    from: facts.journal?.from ?? facts.nestedVirtualization,
    to: plan.desiredSetting,
    startedAt: facts.journal?.startedAt || wholeSecond(now, Math.floor),
    runToken: options.runToken,
    leaseUntil: wholeSecond(now + leaseMs, Math.ceil),
    stallMs: stallAllowanceMs(options),
    ...(standbyGroup ? { standbyGroup } : {}),
    ...(kinds.includes("lift-stop-protection") || facts.journal?.stopProtectionLifted
      ? { stopProtectionLifted: true }
      : {}),
  };
}

function wholeSecond(ms: number, round: (seconds: number) => number): string {
  return new Date(round(ms / 1000) * 1000).toISOString();
}
