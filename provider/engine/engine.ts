import { anotherRunsCycle, confirmDelayMs } from "./confirm";
import { ClaimLostError, executeCycle, stallAllowanceMs } from "./cycle";
import {
  BlockedError,
  CancelledError,
  ChangedElsewhereError,
  ImportWouldChangeError,
  LookupFailedError,
  NestedVirtError,
} from "./errors";
import { retryFailedCycleFromEnvironment } from "./failed-cycle";
import { findInstanceFacts, instanceFactsOf, type ListedInstance, toInstanceFacts } from "./finders";
import type { MutatingAction } from "./gateway";
import { SlotBusyError } from "./group-slots";
import { guestAgentBlockers, verifyInGuest } from "./guest-check";
import { isLeaseHeld } from "./journal";
import { checkGroup } from "./launch-template-check";
import { waitForOtherCycle } from "./lease";
import { actionsOf, type PlanContext, planCycle } from "./plan";
import { preflightCycle } from "./preflight";
import { rolloutOf } from "./rollout";
import type { Session } from "./session";
import { StandbyCycle } from "./standby";
import { standbyGroupOf } from "./standby-steps";
import type {
  CycleJournal,
  CyclePlan,
  CycleTimings,
  DesiredState,
  EnablementState,
  InstanceFacts,
  NestedVirtSetting,
  StepKind,
  UnreadableJournal,
} from "./types";
import { pollIntervalFromEnvironment, sleep, waitForGroupRoom } from "./waiters";

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

/** A step of the cycle, or waiting for another run's cycle on the instance to end. */
export type ProgressPhase = StepKind | "wait-other-run";

export interface ApplyOptions {
  /**
   * The run was told to stop: no StopInstances after this fires. A cycle past its stop finishes
   * (the instance runs again); one that has not stopped the instance yet ends with CancelledError.
   */
  signal?: AbortSignal;
  /**
   * DryRun verdicts another process of this operation found for the instance (a Pulumi program's
   * preflight): these actions are not asked about again until PERMISSION_TTL_MS after `checkedAt`.
   */
  permitted?: PermittedActions;
}

export interface PermittedActions {
  checkedAt: number;
  actions: readonly MutatingAction[];
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

export interface AppliedState extends EnablementState {
  /** The setting the instance had before this apply changed anything. */
  previousNestedVirtualization: NestedVirtSetting;
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

/** The cycle's slot wait plus the time the run waited for other runs to leave the group room. */
function withSharedSlotWait(timings: CycleTimings, waitedMs: number): CycleTimings {
  if (timings.slotWaitSeconds === undefined || waitedMs === 0) return timings;
  return { ...timings, slotWaitSeconds: Math.round(timings.slotWaitSeconds * 1000 + waitedMs) / 1000 };
}

function detailsOf(facts: InstanceFacts, now: number): InstanceDetails {
  return {
    supportsNestedVirtualization: facts.type.supportsNestedVirtualization,
    ...(facts.autoScalingGroupName ? { autoScalingGroupName: facts.autoScalingGroupName } : {}),
    ...(facts.journal ? { journal: { ...facts.journal, leaseHeld: isLeaseHeld(facts.journal, now) } } : {}),
    ...(facts.unreadableJournal ? { unreadableJournal: facts.unreadableJournal } : {}),
  };
}

export function stateOf(facts: InstanceFacts, warnings: string[] = []): EnablementState {
  return {
    instanceId: facts.instanceId,
    nestedVirtualization: facts.nestedVirtualization,
    instanceType: facts.instanceType,
    instanceState: facts.state,
    warnings,
  };
}

/** A terminated (or terminating) instance reads as deleted: there is nothing left to manage. */
function isGone(facts: InstanceFacts): boolean {
  return facts.state === "terminated" || facts.state === "shutting-down";
}

export function createEngine(options: EngineOptions): Engine {
  const { session } = options;
  const gateway = session.ec2;
  const types = session.instanceTypes;
  /** Only Auto Scaling members need it: made on first use. */
  const autoScaling = () => session.autoScaling();
  const log = options.log ?? (() => undefined);
  const pollIntervalMs = options.pollIntervalMs ?? pollIntervalFromEnvironment();
  const claimSettleMs = options.claimSettleMs;
  const retryFailedCycle = options.retryFailedCycle ?? retryFailedCycleFromEnvironment();
  const progress = options.progress;
  /** Only verifyInGuest needs SSM: made on first use. */
  const ssm = () => session.ssm();

  /** Runs the check inside the guest, bounded by timeouts.healthy; throws GuestCheckFailedError when it fails. */
  async function checkGuest(desired: DesiredState, facts: InstanceFacts, signal?: AbortSignal): Promise<void> {
    log(`checking inside ${facts.instanceId} that it can run a hypervisor (SSM Run Command)`);
    const proof = await verifyInGuest(ssm(), facts, {
      timeoutSeconds: desired.timeouts.healthySeconds,
      pollIntervalMs,
      signal,
    });
    log(`${facts.instanceId}: the guest can run a hypervisor (${proof.output.replaceAll("\n", "; ")})`);
  }

  async function regionName(): Promise<string | undefined> {
    try {
      return await gateway.region();
    } catch {
      return undefined;
    }
  }

  /**
   * Facts and plan; `checks` adds the preflight: DryRuns of the plan's actions, and for previews
   * and plans the stop-protection attribute as well (an apply learns it from StopInstances).
   */
  async function planFor(
    desired: DesiredState,
    checks: "none" | "permissions" | "with-stop-protection",
    known?: InstanceFacts,
    context: Pick<PlanContext, "takeOver" | "runToken"> = {},
  ) {
    const facts =
      known ??
      (await findInstanceFacts(gateway, types, desired.instanceId).catch((error: unknown) => {
        throw error instanceof NestedVirtError ? error : new LookupFailedError(desired.instanceId, error);
      }));
    const region = facts ? undefined : await regionName();
    const base: PlanContext = { region, now: Date.now(), retryFailedCycle, ...context };
    let plan = planCycle(facts, desired, base);
    if (facts?.autoScalingGroupName && checks !== "none" && !isGone(facts)) {
      const standby = plan.steps.some((s) => s.kind === "enter-standby");
      base.group = await checkGroup(
        gateway,
        autoScaling(),
        facts.instanceId,
        facts.autoScalingGroupName,
        desired,
        standby,
      );
      plan = planCycle(facts, desired, base);
    }
    let permitted: PermittedActions | undefined;
    if (checks !== "none" && facts && plan.steps.length > 0) {
      const checkedAt = Date.now();
      const actions = actionsOf(plan);
      const findings = await preflightCycle(gateway, desired.instanceId, actions, {
        readStopProtection: checks === "with-stop-protection",
      });
      if (findings.deniedActions.length > 0 || findings.unperformable.length > 0 || findings.stopProtected)
        plan = planCycle(facts, desired, { ...base, ...findings });
      // Found protected with `stopProtection: lift`: the plan now lifts it, a call to DryRun as well.
      const added = actionsOf(plan).filter((a) => !actions.includes(a));
      if (added.length > 0) {
        const more = await preflightCycle(gateway, desired.instanceId, added, { readStopProtection: false });
        findings.deniedActions.push(...more.deniedActions);
        findings.unperformable.push(...more.unperformable);
        actions.push(...added);
        if (more.deniedActions.length > 0 || more.unperformable.length > 0)
          plan = planCycle(facts, desired, { ...base, ...findings });
      }
      const refused = [...findings.deniedActions, ...findings.unperformable.map((u) => u.action)];
      permitted = { checkedAt, actions: actions.filter((a) => !refused.includes(a)) };
      // verifyInGuest needs a managed agent: found out now, before anything is stopped (a real read: SSM has no DryRun).
      const guestBlockers = plan.steps.some((s) => s.kind === "verify-guest")
        ? await guestAgentBlockers(ssm(), facts)
        : [];
      if (guestBlockers.length > 0) plan = planCycle(facts, desired, { ...base, ...findings, guestBlockers });
    }
    return { facts, plan, permitted };
  }

  /**
   * Plans and runs the cycle; while another run's cycle holds the instance (same target), waits for
   * it and plans again from fresh facts. Waiting is bounded by this run's own stop timeout.
   * `known` spares a second DescribeInstances when the caller has just read the instance.
   */
  function apply(desired: DesiredState, known?: InstanceFacts, applyOptions: ApplyOptions = {}): Promise<AppliedState> {
    return session.locks.exclusive(desired.instanceId, desired.nestedVirtualization, (waited) =>
      applyAlone(desired, waited ? undefined : known, applyOptions),
    );
  }

  async function applyAlone(
    desired: DesiredState,
    known: InstanceFacts | undefined,
    applyOptions: ApplyOptions,
  ): Promise<AppliedState> {
    const { signal, permitted } = applyOptions;
    const id = desired.instanceId;
    const runToken = session.runToken;
    if (permitted) for (const action of permitted.actions) gateway.rememberPermitted(action, id, permitted.checkedAt);
    const deadline = Date.now() + desired.timeouts.stopSeconds * 1000;
    let takeOver: string | undefined;
    let first: InstanceFacts | undefined;
    const rollout = rolloutOf(desired, session.rolloutGroups);
    /** Time spent waiting for room in the rollout group while other runs held its slots. */
    let sharedSlotWaitMs = 0;
    for (;;) {
      if (signal?.aborted) throw new CancelledError(id, "nothing was changed.");
      // Lifting stop protection needs to know it is on before the journal is written: read it then.
      const checks = desired.stopProtection === "lift" ? "with-stop-protection" : "permissions";
      const { facts, plan } = await planFor(desired, checks, known, { takeOver, runToken });
      known = undefined;
      if (!facts) throw new BlockedError(id, plan.blockers);
      first ??= facts;
      if (plan.awaiting && facts.journalTag !== undefined) {
        log(`another run is cycling ${id}; waiting for it`);
        progress?.(id, "wait-other-run");
        const outcome = await waitForOtherCycle(
          gateway,
          id,
          { journal: plan.awaiting, tag: facts.journalTag },
          {
            deadline,
            timeoutSeconds: desired.timeouts.stopSeconds,
            pollIntervalMs,
            stallMs: stallAllowanceMs({ claimSettleMs, pollIntervalMs }),
            signal,
          },
        ).catch((error: unknown) => {
          throw signal?.aborted ? new CancelledError(id, "nothing was changed.") : error;
        });
        takeOver = outcome === "abandoned" ? facts.journalTag : undefined;
        continue;
      }
      let record: Awaited<ReturnType<typeof executeCycle>>;
      try {
        const kinds = plan.steps.map((s) => s.kind);
        const standbyGroup = kinds.some((k) => k.endsWith("standby") || k === "wait-in-service")
          ? standbyGroupOf(facts, kinds)
          : undefined;
        const standby = standbyGroup
          ? new StandbyCycle(autoScaling(), gateway, id, standbyGroup, {
              stopTimeoutSeconds: desired.timeouts.stopSeconds,
              startTimeoutSeconds: desired.timeouts.startSeconds,
              pollIntervalMs,
              log,
            })
          : undefined;
        // A blocked plan may still carry steps: restoring an interrupted cycle's run state comes first.
        record = await executeCycle(gateway, facts, plan, {
          ...(standby ? { standby } : {}),
          stopTimeoutSeconds: desired.timeouts.stopSeconds,
          startTimeoutSeconds: desired.timeouts.startSeconds,
          healthyTimeoutSeconds: desired.timeouts.healthySeconds,
          rollout,
          ...(rollout && options.groupCountAcrossRuns !== false ? { slotLeases: session.slotLeases } : {}),
          pollIntervalMs,
          log,
          runToken,
          journalCohort: session.journalCohort,
          claimSettleMs,
          signal,
          ...(progress ? { onStep: (step: StepKind) => progress(id, step) } : {}),
          verifyGuest: () => checkGuest(desired, facts, signal),
        });
      } catch (error) {
        if (error instanceof SlotBusyError && rollout) {
          log(
            `rollout group "${rollout.group}" is full (${error.holders.join(", ")}); waiting for room before stopping ${id}`,
          );
          const began = Date.now();
          await waitForGroupRoom(
            gateway,
            id,
            { name: rollout.group, maxUnavailable: rollout.maxUnavailable },
            { timeoutSeconds: Math.max(0, (deadline - began) / 1000), pollIntervalMs, signal },
          ).catch((waitError: unknown) => {
            throw signal?.aborted ? new CancelledError(id, "nothing was changed.") : waitError;
          });
          sharedSlotWaitMs += Date.now() - began;
          continue;
        }
        if (!(error instanceof ClaimLostError)) throw error;
        log(`another run claimed ${id} first; planning again`);
        takeOver = undefined;
        continue;
      }
      if (plan.blockers.length > 0) throw new BlockedError(id, plan.blockers);
      // The wait that saw the instance running again read it after the cycle; otherwise read it now.
      // With nothing to do, no journal of this run kept others off while it looked: it looks again.
      const after = record.runningAgain
        ? toInstanceFacts(record.runningAgain, facts.type)
        : plan.steps.length > 0
          ? await findInstanceFacts(gateway, types, id)
          : await lookAgain(facts, signal);
      if (!after) throw new BlockedError(id, planCycle(undefined, desired, {}).blockers);
      // The journal this run found and finished (a takeover, a resumed cycle) is not another run's.
      if (after.journalTag !== facts.journalTag && anotherRunsCycle(after, runToken, Date.now())) {
        // What it says belongs to that run's cycle: wait for it, or fail naming it, as planning decides.
        log(`another run's cycle is on ${id}; planning again`);
        takeOver = undefined;
        continue;
      }
      // Read after apply: report only what the instance has, never what it was meant to have.
      if (after.nestedVirtualization !== desired.nestedVirtualization) {
        throw new ChangedElsewhereError(id, after.nestedVirtualization, desired.nestedVirtualization);
      }
      // Nothing to cycle, but the guest is asked again: a failed check stays failed until the guest is fixed.
      const verifyNow =
        desired.verifyInGuest &&
        desired.nestedVirtualization === "enabled" &&
        after.state === "running" &&
        !plan.steps.some((s) => s.kind === "verify-guest" || s.kind === "start");
      if (verifyNow) {
        const guestBlockers = await guestAgentBlockers(ssm(), after);
        if (guestBlockers.length > 0) throw new BlockedError(id, guestBlockers);
        progress?.(id, "verify-guest");
        await checkGuest(desired, after, signal);
      }
      return {
        ...stateOf(
          after,
          plan.warnings.map((w) => w.message),
        ),
        previousNestedVirtualization: first.journal?.from ?? first.nestedVirtualization,
        ...(record.timings ? { lastCycle: withSharedSlotWait(record.timings, sharedSlotWaitMs) } : {}),
      };
    }
  }

  /**
   * The look that tells a run with nothing to do what to report, taken once a run that read the
   * instance at the same moment and set out to change it would have its journal on it.
   */
  async function lookAgain(first: InstanceFacts, signal?: AbortSignal): Promise<InstanceFacts | undefined> {
    const due = (first.readAt ?? Date.now()) + confirmDelayMs(claimSettleMs);
    await sleep(Math.max(0, due - Date.now()), signal).catch(() => {
      throw new CancelledError(first.instanceId, "nothing was changed.");
    });
    return await findInstanceFacts(gateway, types, first.instanceId);
  }

  return {
    async inspect(desired, inspectOptions = {}) {
      const checks = inspectOptions.checkPermissions === true ? "with-stop-protection" : "none";
      const { listed } = inspectOptions;
      const known = listed ? await instanceFactsOf(types, listed.instance, listed.readAt) : undefined;
      const { facts, plan, permitted } = await planFor(desired, checks, known);
      return {
        plan,
        ...(facts ? { current: stateOf(facts), details: detailsOf(facts, Date.now()) } : {}),
        ...(permitted ? { permitted } : {}),
      };
    },
    apply: (desired, applyOptions) => apply(desired, undefined, applyOptions),
    async adopt(desired) {
      const { facts, plan } = await planFor(desired, "none");
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
