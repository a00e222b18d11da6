import { anotherRunsCycle, confirmDelayMs } from "./confirm";
import { ClaimLostError, type CycleResult, executeCycle, stallAllowanceMs } from "./cycle";
import type { EngineContext } from "./engine-context";
import { BlockedError, CancelledError, ChangedElsewhereError } from "./errors";
import { findInstanceFacts, toInstanceFacts } from "./finders";
import { SlotBusyError } from "./group-slots";
import { guestAgentBlockers, verifyInGuest } from "./guest-check";
import { waitForOtherCycle } from "./lease";
import { planCycle } from "./plan";
import { type PermittedActions, type PlannedInstance, planFor } from "./plan-for";
import { type RolloutSettings, rolloutGroupFor, rolloutOf } from "./rollout";
import { StandbyCycle } from "./standby";
import { standbyGroupOf } from "./standby-steps";
import type { CyclePlan, CycleTimings, DesiredState, EnablementState, InstanceFacts, NestedVirtSetting } from "./types";
import { sleep, waitForGroupRoom } from "./waiters";

export interface AppliedState extends EnablementState {
  /** The setting the instance had before this apply changed anything. */
  previousNestedVirtualization: NestedVirtSetting;
}

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

export function stateOf(facts: InstanceFacts, warnings: string[] = []): EnablementState {
  return {
    instanceId: facts.instanceId,
    nestedVirtualization: facts.nestedVirtualization,
    instanceType: facts.instanceType,
    instanceState: facts.state,
    warnings,
  };
}

/** What one pass of the apply loop decided: plan again, or the answer. */
type Pass = { again: true } | { again: false; state: AppliedState };
const AGAIN: Pass = { again: true };

/**
 * One apply of one instance (under its lock): plans, runs the cycle, and answers with what the
 * instance has. While another run's cycle holds the instance (same target), or the rollout group
 * is full across runs, or another run claimed first, it waits and plans again from fresh facts;
 * waiting is bounded by this run's own stop timeout.
 */
export class ApplyRun {
  private readonly id: string;
  private readonly deadline: number;
  private readonly rollout: RolloutSettings | undefined;
  /** Another run's journal this run may finish: its run stalled past the allowance. */
  private takeOver: string | undefined;
  /** The facts of the first look, which say what the setting was before this apply. */
  private first: InstanceFacts | undefined;
  /** Time spent waiting for room in the rollout group while other runs held its slots. */
  private sharedSlotWaitMs = 0;

  constructor(
    private readonly engine: EngineContext,
    private readonly desired: DesiredState,
    private known: InstanceFacts | undefined,
    private readonly options: ApplyOptions,
  ) {
    this.id = desired.instanceId;
    this.deadline = Date.now() + desired.timeouts.stopSeconds * 1000;
    this.rollout = rolloutOf(desired, engine.session.rolloutGroups);
    const { permitted } = options;
    if (permitted) {
      for (const action of permitted.actions) engine.gateway.rememberPermitted(action, this.id, permitted.checkedAt);
    }
  }

  async run(): Promise<AppliedState> {
    for (;;) {
      if (this.options.signal?.aborted) throw new CancelledError(this.id, "nothing was changed.");
      const pass = await this.pass();
      if (!pass.again) return pass.state;
    }
  }

  private async pass(): Promise<Pass> {
    const { desired, engine } = this;
    // Lifting stop protection needs to know it is on before the journal is written: read it then.
    const checks = desired.stopProtection === "lift" ? "with-stop-protection" : "permissions";
    const runToken = engine.session.runToken;
    const { facts, plan } = await planFor(engine, desired, checks, this.known, { takeOver: this.takeOver, runToken });
    this.known = undefined;
    if (!facts) throw new BlockedError(this.id, plan.blockers);
    this.first ??= facts;
    if (plan.awaiting && facts.journalTag !== undefined)
      return await this.awaitOtherRun(facts.journalTag, plan.awaiting);
    const record = await this.cycle(facts, plan);
    if (!record) return AGAIN;
    if (plan.blockers.length > 0) throw new BlockedError(this.id, plan.blockers);
    return await this.answer({ facts, plan }, record);
  }

  private async awaitOtherRun(tag: string, awaiting: NonNullable<CyclePlan["awaiting"]>): Promise<Pass> {
    const { engine, desired, options } = this;
    engine.log(`another run is cycling ${this.id}; waiting for it`);
    engine.progress?.(this.id, "wait-other-run");
    const { claimSettleMs, pollIntervalMs } = engine;
    const outcome = await waitForOtherCycle(
      engine.gateway,
      this.id,
      { journal: awaiting, tag },
      {
        deadline: this.deadline,
        timeoutSeconds: desired.timeouts.stopSeconds,
        pollIntervalMs,
        stallMs: stallAllowanceMs({ claimSettleMs, pollIntervalMs }),
        signal: options.signal,
      },
    ).catch((error: unknown) => this.cancelledOr(error));
    this.takeOver = outcome === "abandoned" ? tag : undefined;
    return AGAIN;
  }

  /** The cycle's record, or undefined when the run must plan again (the group is full, another run claimed first). */
  private async cycle(facts: InstanceFacts, plan: CyclePlan): Promise<CycleResult | undefined> {
    const { engine, desired, rollout } = this;
    const { signal } = this.options;
    try {
      // A blocked plan may still carry steps: restoring an interrupted cycle's run state comes first.
      return await executeCycle(engine.gateway, facts, plan, {
        ...this.standbyFor(facts, plan),
        stopTimeoutSeconds: desired.timeouts.stopSeconds,
        startTimeoutSeconds: desired.timeouts.startSeconds,
        healthyTimeoutSeconds: desired.timeouts.healthySeconds,
        rollout,
        ...(rollout && engine.groupCountAcrossRuns ? { slotLeases: engine.session.slotLeases } : {}),
        pollIntervalMs: engine.pollIntervalMs,
        log: engine.log,
        runToken: engine.session.runToken,
        journalCohort: engine.session.journalCohort,
        claimSettleMs: engine.claimSettleMs,
        signal,
        ...(engine.progress ? { onStep: (step) => engine.progress?.(this.id, step) } : {}),
        verifyGuest: () => this.checkGuest(facts),
      });
    } catch (error) {
      if (error instanceof SlotBusyError && rollout) {
        await this.waitForRoom(rollout, error.holders);
        return undefined;
      }
      if (!(error instanceof ClaimLostError)) throw error;
      engine.log(`another run claimed ${this.id} first; planning again`);
      this.takeOver = undefined;
      return undefined;
    }
  }

  /** Auto Scaling's side of the cycle, when the plan takes the member out of service. */
  private standbyFor(facts: InstanceFacts, plan: CyclePlan): { standby?: StandbyCycle } {
    const kinds = plan.steps.map((s) => s.kind);
    if (!kinds.some((k) => k.endsWith("standby") || k === "wait-in-service")) return {};
    const group = standbyGroupOf(facts, kinds);
    if (!group) return {};
    const { engine, desired } = this;
    return {
      standby: new StandbyCycle(engine.autoScaling(), engine.gateway, this.id, group, {
        stopTimeoutSeconds: desired.timeouts.stopSeconds,
        startTimeoutSeconds: desired.timeouts.startSeconds,
        pollIntervalMs: engine.pollIntervalMs,
        log: engine.log,
      }),
    };
  }

  /** Other runs hold the group's slots: wait on the group until it has room, within the stop timeout. */
  private async waitForRoom(rollout: RolloutSettings, holders: readonly string[]): Promise<void> {
    const { engine } = this;
    engine.log(
      `rollout group "${rollout.group}" is full (${holders.join(", ")}); waiting for room before stopping ${this.id}`,
    );
    const began = Date.now();
    await waitForGroupRoom(
      engine.gateway,
      this.id,
      { name: rollout.group, maxUnavailable: rollout.maxUnavailable },
      {
        timeoutSeconds: Math.max(0, (this.deadline - began) / 1000),
        pollIntervalMs: engine.pollIntervalMs,
        signal: this.options.signal,
      },
    )
      .catch((error: unknown) => this.cancelledOr(error))
      .finally(() => rolloutGroupFor(rollout, this.id).roomSeen());
    this.sharedSlotWaitMs += Date.now() - began;
  }

  /** Read after apply: report only what the instance has, never what it was meant to have. */
  private async answer(
    { facts, plan }: Required<Pick<PlannedInstance, "plan">> & { facts: InstanceFacts },
    record: CycleResult,
  ): Promise<Pass> {
    const { engine, desired } = this;
    // The wait that saw the instance running again read it after the cycle; otherwise read it now.
    // With nothing to do, no journal of this run kept others off while it looked: it looks again.
    const after = record.runningAgain
      ? toInstanceFacts(record.runningAgain, facts.type)
      : plan.steps.length > 0
        ? await findInstanceFacts(engine.gateway, engine.types, this.id)
        : await this.lookAgain(facts);
    if (!after) throw new BlockedError(this.id, planCycle(undefined, desired, {}).blockers);
    // The journal this run found and finished (a takeover, a resumed cycle) is not another run's.
    if (after.journalTag !== facts.journalTag && anotherRunsCycle(after, engine.session.runToken, Date.now())) {
      // What it says belongs to that run's cycle: wait for it, or fail naming it, as planning decides.
      engine.log(`another run's cycle is on ${this.id}; planning again`);
      this.takeOver = undefined;
      return AGAIN;
    }
    if (after.nestedVirtualization !== desired.nestedVirtualization) {
      throw new ChangedElsewhereError(this.id, after.nestedVirtualization, desired.nestedVirtualization);
    }
    await this.verifyAgainIfDue(after, plan);
    const first = this.first ?? facts;
    const warnings = plan.warnings.map((w) => w.message);
    return {
      again: false,
      state: {
        ...stateOf(after, warnings),
        previousNestedVirtualization: first.journal?.from ?? first.nestedVirtualization,
        ...(record.timings ? { lastCycle: this.withSharedSlotWait(record.timings) } : {}),
      },
    };
  }

  /** Nothing to cycle, but the guest is asked again: a failed check stays failed until the guest is fixed. */
  private async verifyAgainIfDue(after: InstanceFacts, plan: CyclePlan): Promise<void> {
    const { desired, engine } = this;
    const due =
      desired.verifyInGuest &&
      desired.nestedVirtualization === "enabled" &&
      after.state === "running" &&
      !plan.steps.some((s) => s.kind === "verify-guest" || s.kind === "start");
    if (!due) return;
    const guestBlockers = await guestAgentBlockers(engine.ssm(), after);
    if (guestBlockers.length > 0) throw new BlockedError(this.id, guestBlockers);
    engine.progress?.(this.id, "verify-guest");
    await this.checkGuest(after);
  }

  /** Runs the check inside the guest, bounded by timeouts.healthy; throws GuestCheckFailedError when it fails. */
  private async checkGuest(facts: InstanceFacts): Promise<void> {
    const { engine } = this;
    engine.log(`checking inside ${facts.instanceId} that it can run a hypervisor (SSM Run Command)`);
    const proof = await verifyInGuest(engine.ssm(), facts, {
      timeoutSeconds: this.desired.timeouts.healthySeconds,
      pollIntervalMs: engine.pollIntervalMs,
      signal: this.options.signal,
    });
    engine.log(`${facts.instanceId}: the guest can run a hypervisor (${proof.output.replaceAll("\n", "; ")})`);
  }

  /**
   * The look that tells a run with nothing to do what to report, taken once a run that read the
   * instance at the same moment and set out to change it would have its journal on it.
   */
  private async lookAgain(first: InstanceFacts): Promise<InstanceFacts | undefined> {
    const due = (first.readAt ?? Date.now()) + confirmDelayMs(this.engine.claimSettleMs);
    await sleep(Math.max(0, due - Date.now()), this.options.signal).catch(() => {
      throw new CancelledError(first.instanceId, "nothing was changed.");
    });
    return await findInstanceFacts(this.engine.gateway, this.engine.types, first.instanceId);
  }

  /** The cycle's slot wait plus the time the run waited for other runs to leave the group room. */
  private withSharedSlotWait(timings: CycleTimings): CycleTimings {
    const waitedMs = this.sharedSlotWaitMs;
    if (timings.slotWaitSeconds === undefined || waitedMs === 0) return timings;
    return { ...timings, slotWaitSeconds: Math.round(timings.slotWaitSeconds * 1000 + waitedMs) / 1000 };
  }

  private cancelledOr(error: unknown): never {
    throw this.options.signal?.aborted ? new CancelledError(this.id, "nothing was changed.") : error;
  }
}
