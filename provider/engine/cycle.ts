import { CycleFailedError, describeError, NestedVirtError, WaitTimeoutError } from "./errors";
import type { Ec2Gateway } from "./gateway";
import { encodeJournal, JOURNAL_TAG_KEY } from "./journal";
import { waitInstanceStatusOk } from "./health-gate";
import { RolloutHaltedError, rolloutGroupFor, type RolloutSettings, type RolloutSlot } from "./rollout";
import type { CycleJournal, CyclePlan, CycleTimings, InstanceFacts, StepKind } from "./types";
import { waitInstanceRunning, waitInstanceStopped, type WaitOptions } from "./waiters";

export interface CycleOptions {
  stopTimeoutSeconds: number;
  startTimeoutSeconds: number;
  /** Bound of the status-check wait (a plan with a `wait-healthy` step). */
  healthyTimeoutSeconds: number;
  /** The instance's rollout group, if any: its slot is held from the stop until running (and healthy). */
  rollout?: RolloutSettings;
  pollIntervalMs: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** What the cycle did, for the resource's outputs. */
export interface CycleRecord {
  timings?: CycleTimings;
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
  const stopWait = { timeoutSeconds: options.stopTimeoutSeconds, pollIntervalMs: options.pollIntervalMs };
  const startWait = { timeoutSeconds: options.startTimeoutSeconds, pollIntervalMs: options.pollIntervalMs };
  const kinds = plan.steps.map((s) => s.kind);
  const stamp = () => new Date().toISOString();
  let stopRequested = false;
  let stoppedAt: string | undefined;
  let modifiedAt: string | undefined;
  let startedAt: string | undefined;
  let healthyAt: string | undefined;
  let slot: RolloutSlot | undefined;
  const group = options.rollout ? rolloutGroupFor(options.rollout, id) : undefined;
  // A cycle resumed from a journal has been down since the earlier run stopped the instance.
  const resumedFrom = facts.journal && facts.state !== "running" ? Date.parse(facts.journal.startedAt) : NaN;
  let downtimeStart: number | undefined = Number.isFinite(resumedFrom) ? resumedFrom : undefined;

  const journal: CycleJournal = {
    priorState:
      facts.journal?.priorState ?? (facts.state === "stopped" || facts.state === "stopping" ? "stopped" : "running"),
    from: facts.journal?.from ?? facts.nestedVirtualization,
    to: plan.desiredSetting,
    startedAt: facts.journal?.startedAt || stamp(),
  };

  const run: Record<StepKind, () => Promise<void>> = {
    "acquire-slot": async () => {
      slot = await group?.acquire(id, options.signal);
    },
    "write-journal": () => gateway.createTag(id, JOURNAL_TAG_KEY, encodeJournal(journal)),
    stop: async () => {
      stopRequested = true;
      downtimeStart = Date.now();
      await gateway.stopInstance(id);
    },
    "wait-stopped": async () => {
      await waitInstanceStopped(gateway, id, stopWait);
      stoppedAt = stamp();
      downtimeStart ??= Date.now();
    },
    modify: async () => {
      await gateway.modifyNestedVirtualization(id, plan.desiredSetting);
      modifiedAt = stamp();
    },
    start: () => gateway.startInstance(id),
    "wait-running": async () => {
      await waitInstanceRunning(gateway, id, startWait);
      if (kinds.includes("start")) startedAt = stamp();
    },
    "clear-journal": () => gateway.deleteTag(id, JOURNAL_TAG_KEY),
    "wait-healthy": async () => {
      await waitInstanceStatusOk(gateway, id, {
        timeoutSeconds: options.healthyTimeoutSeconds,
        pollIntervalMs: options.pollIntervalMs,
        signal: options.signal,
      });
      healthyAt = stamp();
    },
  };

  let current: StepKind | undefined;
  try {
    for (const step of plan.steps) {
      current = step.kind;
      options.log(step.description);
      await run[step.kind]();
    }
  } catch (error) {
    // Halt the group first, so no waiting cycle gets this slot while this instance is restarted.
    if (group && !(error instanceof RolloutHaltedError)) {
      group.halt(id, `${STEP_CALL[current ?? "modify"] ?? `waiting (${current})`} failed: ${describeError(error)}`);
    }
    const stuckStopping = error instanceof WaitTimeoutError && error.target === "stopped";
    // Restart only an instance that is down because of this cycle (or the interrupted one it resumes).
    const down = stopRequested || (facts.state !== "running" && facts.state !== "pending");
    const mustRestart = down && kinds.includes("start") && !startedAt && !stuckStopping;
    if (!mustRestart) {
      slot?.release();
      if (error instanceof NestedVirtError) throw error;
      const what = STEP_CALL[current ?? "modify"] ?? current;
      throw new CycleFailedError(
        id,
        `${what} failed on ${id}: ${describeError(error)}. The instance is ${stopRequested ? "stopping" : "as it was"}; run the update again once the cause is fixed.`,
        !stopRequested,
        error,
      );
    }
    throw await restartAfterFailure(
      gateway,
      { facts, failedStep: current ?? "stop", modified: modifiedAt !== undefined, desired: plan.desiredSetting },
      error,
      startWait,
      options.log,
    ).finally(() => slot?.release());
  }
  slot?.release();

  if (!modifiedAt) return {};
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
    },
  };
}

interface FailureContext {
  facts: InstanceFacts;
  failedStep: StepKind;
  modified: boolean;
  desired: CyclePlan["desiredSetting"];
}

const STEP_CALL: Partial<Record<StepKind, string>> = {
  stop: "StopInstances",
  modify: "ModifyInstanceCpuOptions",
  start: "StartInstances",
  "write-journal": "CreateTags",
  "clear-journal": "DeleteTags",
  "wait-healthy": "the health gate",
};

async function restartAfterFailure(
  gateway: Ec2Gateway,
  context: FailureContext,
  error: unknown,
  startWait: WaitOptions,
  log: (line: string) => void,
): Promise<CycleFailedError> {
  const id = context.facts.instanceId;
  const what = STEP_CALL[context.failedStep] ?? `waiting (${context.failedStep})`;
  const reason = `${what} failed on ${id}: ${describeError(error)}`;
  const setting = context.modified ? context.desired : context.facts.nestedVirtualization;
  log(`${reason}; starting ${id} again`);
  try {
    await gateway.startInstance(id);
    await waitInstanceRunning(gateway, id, startWait);
    await gateway.deleteTag(id, JOURNAL_TAG_KEY);
  } catch (restartError) {
    return new CycleFailedError(
      id,
      `${reason}. Starting it again also failed: ${describeError(restartError)}. The journal tag ${JOURNAL_TAG_KEY} is still on the instance: run the update again to start it, or start it by hand.`,
      false,
      error,
    );
  }
  return new CycleFailedError(
    id,
    `${reason}. The instance was started again with NestedVirtualization=${setting}${context.modified ? "" : " (its previous CPU options)"}; fix the cause and run the update again.`,
    true,
    error,
  );
}
