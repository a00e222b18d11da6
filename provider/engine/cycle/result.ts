import { FAILED_CYCLE_TAG_KEY } from "../failed-cycle";
import type { CycleContext } from "./context";
import type { CycleResult } from "./options";
import type { CycleRecord } from "./record";
import { releaseSharedSlot } from "./slot-tags";

/** After the last step: the group's slots go back, and an earlier failure recorded on the instance no longer holds anything off. */
export async function completeCycle(context: CycleContext, record: CycleRecord): Promise<void> {
  record.rolloutSlot?.release();
  await releaseSharedSlot(context, record, true);
  const { facts } = context;
  if (record.modifiedAt !== undefined && facts.failedCycleTag !== undefined) {
    await context.gateway.deleteTag(context.id, FAILED_CYCLE_TAG_KEY, facts.failedCycleTag).catch(() => undefined);
  }
}

/** What the cycle did, for the resource's outputs. Absent timestamps are left out: front ends serialize these as-is. */
export function resultOf(context: CycleContext, record: CycleRecord): CycleResult {
  const runningAgain = record.runningAgain;
  const modifiedAt = record.modifiedAt;
  if (modifiedAt === undefined) return runningAgain ? { runningAgain } : {};
  const { downSince, startedAt, stoppedAt, healthyAt, guestVerifiedAt, rolloutSlot } = record;
  const downtimeSeconds = downSince !== undefined && startedAt !== undefined ? (Date.now() - downSince) / 1000 : 0;
  const attempts = context.starter.attempts;
  return {
    timings: {
      ...(stoppedAt !== undefined ? { stoppedAt: iso(stoppedAt) } : {}),
      modifiedAt: iso(modifiedAt),
      ...(startedAt !== undefined ? { startedAt: iso(startedAt) } : {}),
      downtimeSeconds: Math.round(downtimeSeconds * 1000) / 1000,
      ...(healthyAt !== undefined ? { healthyAt: iso(healthyAt) } : {}),
      ...(rolloutSlot ? { slotWaitSeconds: rolloutSlot.waitedSeconds } : {}),
      ...(guestVerifiedAt !== undefined ? { guestVerifiedAt: iso(guestVerifiedAt) } : {}),
      ...(attempts > 0 ? { startAttempts: attempts } : {}),
    },
    ...(runningAgain ? { runningAgain } : {}),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
