import { CycleFailedError, describeError, NestedVirtError } from "./errors";
import type { Ec2Gateway } from "./gateway";
import { encodeJournal, JOURNAL_TAG_KEY } from "./journal";
import type { CycleJournal, CyclePlan, CycleTimings, InstanceFacts, StepKind } from "./types";
import { waitInstanceRunning, waitInstanceStopped } from "./waiters";

export interface CycleOptions {
  stopTimeoutSeconds: number;
  startTimeoutSeconds: number;
  pollIntervalMs: number;
  log: (line: string) => void;
}

/** What the cycle did, for the resource's outputs. */
export interface CycleRecord {
  timings?: CycleTimings;
}

/**
 * Runs a plan's steps in order. If modifying fails after the instance was stopped, the instance
 * is started again in its old configuration before the error is raised: a previously running
 * instance is never left stopped by a failure we can act on.
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
  let stopRequestedAt: number | undefined;
  let stoppedAt: string | undefined;
  let modifiedAt: string | undefined;
  let startedAt: string | undefined;
  // A cycle resumed from a journal has been down since the earlier run stopped the instance.
  const resumedFrom = facts.journal && facts.state !== "running" ? Date.parse(facts.journal.startedAt) : NaN;
  let downtimeStart: number | undefined = Number.isFinite(resumedFrom) ? resumedFrom : undefined;

  const journal: CycleJournal = {
    priorState: facts.journal?.priorState ?? (facts.state === "stopped" || facts.state === "stopping" ? "stopped" : "running"),
    from: facts.journal?.from ?? facts.nestedVirtualization,
    to: plan.desiredSetting,
    startedAt: facts.journal?.startedAt || stamp(),
  };

  const run: Record<StepKind, () => Promise<void>> = {
    "recover-journal": async () => undefined,
    "write-journal": () => gateway.createTag(id, JOURNAL_TAG_KEY, encodeJournal(journal)),
    stop: async () => {
      stopRequestedAt = Date.now();
      downtimeStart = stopRequestedAt;
      await gateway.stopInstance(id);
    },
    "wait-stopped": async () => {
      await waitInstanceStopped(gateway, id, stopWait);
      stoppedAt = stamp();
      downtimeStart ??= Date.now();
    },
    modify: async () => {
      try {
        await gateway.modifyNestedVirtualization(id, plan.desiredSetting);
        modifiedAt = stamp();
      } catch (error) {
        throw await restoreAfterFailedModify(gateway, facts, kinds, error, startWait, options.log);
      }
    },
    start: () => gateway.startInstance(id),
    "wait-running": async () => {
      await waitInstanceRunning(gateway, id, startWait);
      if (kinds.includes("start")) startedAt = stamp();
    },
    "clear-journal": () => gateway.deleteTag(id, JOURNAL_TAG_KEY),
  };

  for (const step of plan.steps) {
    options.log(step.description);
    await run[step.kind]();
  }

  if (!modifiedAt) return {};
  const downtimeSeconds = downtimeStart !== undefined && startedAt ? (Date.now() - downtimeStart) / 1000 : 0;
  // Absent timestamps are left out rather than set to undefined: front ends serialize these as-is.
  return {
    timings: {
      ...(stoppedAt ? { stoppedAt } : {}),
      modifiedAt,
      ...(startedAt ? { startedAt } : {}),
      downtimeSeconds: Math.round(downtimeSeconds * 1000) / 1000,
    },
  };
}

async function restoreAfterFailedModify(
  gateway: Ec2Gateway,
  facts: InstanceFacts,
  kinds: StepKind[],
  error: unknown,
  startWait: { timeoutSeconds: number; pollIntervalMs: number },
  log: (line: string) => void,
): Promise<NestedVirtError> {
  const id = facts.instanceId;
  const reason = describeError(error);
  if (!kinds.includes("start")) {
    return new CycleFailedError(id, `ModifyInstanceCpuOptions failed on ${id}: ${reason}. The instance was stopped before and is left stopped, unchanged.`, true, error);
  }
  log(`modify failed (${reason}); starting ${id} again with its old configuration`);
  try {
    await gateway.startInstance(id);
    await waitInstanceRunning(gateway, id, startWait);
    if (kinds.includes("clear-journal")) await gateway.deleteTag(id, JOURNAL_TAG_KEY);
  } catch (restoreError) {
    return new CycleFailedError(
      id,
      `ModifyInstanceCpuOptions failed on ${id}: ${reason}. Starting it again also failed: ${describeError(restoreError)}. The journal tag ${JOURNAL_TAG_KEY} is still on the instance; run the update again to start it, or start it by hand.`,
      false,
      error,
    );
  }
  return new CycleFailedError(
    id,
    `ModifyInstanceCpuOptions failed on ${id}: ${reason}. The instance was started again with its previous CPU options (NestedVirtualization=${facts.nestedVirtualization}); fix the cause and run the update again.`,
    true,
    error,
  );
}
