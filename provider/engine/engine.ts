import { type AppliedState, type ApplyOptions, ApplyRun, stateOf } from "./apply-run";
import type { EngineContext, ProgressPhase } from "./engine-context";
import { BlockedError, ImportWouldChangeError } from "./errors";
import { retryFailedCycleFromEnvironment } from "./failed-cycle";
import { findInstanceFacts, instanceFactsOf, type ListedInstance } from "./finders";
import { isLeaseHeld } from "./journal";
import { isGone, type PermittedActions, planFor } from "./plan-for";
import type { Session } from "./session";
import type {
  CycleJournal,
  CyclePlan,
  DesiredState,
  EnablementState,
  InstanceFacts,
  NestedVirtSetting,
  UnreadableJournal,
} from "./types";
import { pollIntervalFromEnvironment } from "./waiters";

export type { AppliedState, ApplyOptions } from "./apply-run";
export type { ProgressPhase } from "./engine-context";
export type { PermittedActions } from "./plan-for";

export interface EngineOptions {
  /**
   * The connection's gateways, locks, slot leases, rollout groups and run token (session.ts): one
   * per connection of a run, opened by the front end and shared by every engine it makes.
   */
  session: Session;
  /** Progress lines for people (`stop i-…`, `wait until … is running`). */
  log?: (line: string) => void;
  /** The waits' base polling interval; defaults to NESTEDVIRT_POLL_INTERVAL_MS or 1 s. */
  pollIntervalMs?: number;
  /**
   * How long a freshly written journal must stay this run's before the instance is stopped; covers
   * a second run's read-then-write and EC2's tag propagation. Default: three times the journal
   * write's round trip, at least 150 ms and at most 2 s (CLAIM_SETTLE_MS).
   */
  claimSettleMs?: number;
  /**
   * Run a cycle although the last one on the instance failed within FAILED_CYCLE_HOLD_MS (the
   * user asks again); defaults to the NESTEDVIRT_RETRY_FAILED_CYCLE environment variable.
   */
  retryFailedCycle?: boolean;
  /** Each step of a cycle as it begins, for front ends that show per-instance progress. */
  progress?: (instanceId: string, phase: ProgressPhase) => void;
  /**
   * `false`: a rollout group is bounded within this process only, with no group or slot tags and
   * no read of the group across the region. Default `true`; the bench turns it off to measure what
   * the count across runs costs.
   */
  groupCountAcrossRuns?: boolean;
}

export interface Inspection {
  plan: CyclePlan;
  /** The instance as it is now; undefined when it does not exist. */
  current?: EnablementState;
  /** With `checkPermissions`: the plan's actions EC2 said the caller may call (DryRun), and when. */
  permitted?: PermittedActions;
  /** What else the facts say, for front ends that show an instance (a status table); absent when not found. */
  details?: InstanceDetails;
}

export interface InstanceDetails {
  supportsNestedVirtualization: boolean;
  autoScalingGroupName?: string;
  /** The cycle recorded on the instance (journal tag), and whether the run that wrote it may still be working. */
  journal?: CycleJournal & { leaseHeld: boolean };
  unreadableJournal?: UnreadableJournal;
}

export interface Engine {
  /** Read-only: facts and plan, no mutating EC2 call. DryRun checks only when asked. */
  /**
   * Facts, plan and (with `checkPermissions`) the preflight. `listed`: the instance as a filtered
   * DescribeInstances returned it moments ago, which stands in for the read.
   */
  inspect(
    desired: DesiredState,
    options?: { checkPermissions?: boolean; listed?: ListedInstance },
  ): Promise<Inspection>;
  /** Brings the instance to the desired setting, or throws a typed error having changed nothing. */
  apply(desired: DesiredState, options?: ApplyOptions): Promise<AppliedState>;
  /**
   * Takes an instance under management without touching it (import): fails when it does not
   * already have the desired setting, or carries an interrupted cycle.
   */
  adopt(desired: DesiredState): Promise<AppliedState>;
  /** The instance's live setting; undefined when it no longer exists (or is terminated). */
  read(instanceId: string): Promise<EnablementState | undefined>;
  /** Honours `desired.onDelete`: `keep` makes no EC2 call; `restore` cycles back to `previousSetting`. */
  remove(desired: DesiredState, previousSetting?: NestedVirtSetting, options?: ApplyOptions): Promise<void>;
}

function detailsOf(facts: InstanceFacts, now: number): InstanceDetails {
  return {
    supportsNestedVirtualization: facts.type.supportsNestedVirtualization,
    ...(facts.autoScalingGroupName ? { autoScalingGroupName: facts.autoScalingGroupName } : {}),
    ...(facts.journal ? { journal: { ...facts.journal, leaseHeld: isLeaseHeld(facts.journal, now) } } : {}),
    ...(facts.unreadableJournal ? { unreadableJournal: facts.unreadableJournal } : {}),
  };
}

function contextOf(options: EngineOptions): EngineContext {
  const { session } = options;
  return {
    session,
    gateway: session.ec2,
    types: session.instanceTypes,
    autoScaling: () => session.autoScaling(),
    ssm: () => session.ssm(),
    log: options.log ?? (() => undefined),
    pollIntervalMs: options.pollIntervalMs ?? pollIntervalFromEnvironment(),
    claimSettleMs: options.claimSettleMs,
    retryFailedCycle: options.retryFailedCycle ?? retryFailedCycleFromEnvironment(),
    progress: options.progress,
    groupCountAcrossRuns: options.groupCountAcrossRuns !== false,
  };
}

export function createEngine(options: EngineOptions): Engine {
  const engine = contextOf(options);
  const { session, gateway, types } = engine;

  /** One apply at a time per instance in this session; `known` spares a read the caller just made. */
  function apply(desired: DesiredState, known?: InstanceFacts, applyOptions: ApplyOptions = {}): Promise<AppliedState> {
    return session.locks.exclusive(desired.instanceId, desired.nestedVirtualization, (waited) =>
      new ApplyRun(engine, desired, waited ? undefined : known, applyOptions).run(),
    );
  }

  return {
    async inspect(desired, inspectOptions = {}) {
      const checks = inspectOptions.checkPermissions === true ? "with-stop-protection" : "none";
      const { listed } = inspectOptions;
      const known = listed ? await instanceFactsOf(types, listed.instance, listed.readAt) : undefined;
      const { facts, plan, permitted } = await planFor(engine, desired, checks, known);
      return {
        plan,
        ...(facts ? { current: stateOf(facts), details: detailsOf(facts, Date.now()) } : {}),
        ...(permitted ? { permitted } : {}),
      };
    },
    apply: (desired, applyOptions) => apply(desired, undefined, applyOptions),
    async adopt(desired) {
      const { facts, plan } = await planFor(engine, desired, "none");
      if (!facts || plan.blockers.length > 0) throw new BlockedError(desired.instanceId, plan.blockers);
      if (plan.steps.length > 0) {
        throw new ImportWouldChangeError(
          desired.instanceId,
          facts.nestedVirtualization,
          desired.nestedVirtualization,
          facts.journal !== undefined,
        );
      }
      return { ...stateOf(facts), previousNestedVirtualization: facts.nestedVirtualization };
    },
    async read(instanceId) {
      const facts = await findInstanceFacts(gateway, types, instanceId);
      return facts && !isGone(facts) ? stateOf(facts) : undefined;
    },
    async remove(desired, previousSetting, applyOptions) {
      if (desired.onDelete === "keep" || !previousSetting) return;
      const facts = await findInstanceFacts(gateway, types, desired.instanceId);
      if (!facts || isGone(facts)) return;
      await apply({ ...desired, nestedVirtualization: previousSetting }, facts, applyOptions);
    },
  };
}
