import { CapacityAwareStart } from "../capacity";
import { describeError } from "../errors";
import { encodeFailedCycle, FAILED_CYCLE_TAG_KEY } from "../failed-cycle";
import { JOURNAL_TAG_KEY } from "../journal";
import { STEP_ACTIONS } from "../plan";
import { protectionLeftOffNote, restoreStopProtection } from "../stop-protection";
import { releaseLease } from "./claim";
import type { CycleContext } from "./context";
import { restartReason } from "./failure";
import type { CycleRecord } from "./record";
import type { RecoveryKind, RecoveryStep } from "./recovery";
import { releaseSharedSlot } from "./slot-tags";
import { DOWNTIME_RETRY_WINDOW_MS } from "./timing";

/** What one kind of recovery step does; what it returns is kept in the record (a setting read, a note). */
type RecoveryAction<K extends RecoveryKind> = (
  context: CycleContext,
  record: CycleRecord,
  step: Extract<RecoveryStep, { kind: K }>,
  error: unknown,
) => Promise<unknown>;

export const RECOVERY_STEPS: { [K in RecoveryKind]: RecoveryAction<K> } = {
  "restore-stop-protection": async (context) => {
    await restoreStopProtection(context.gateway, context.id);
    context.options.log(`turned stop protection on again on ${context.id}`);
  },
  "report-protection-left-off": async (context, record) => {
    const failed = record.failedAt("recovery", "restore-stop-protection");
    if (failed) context.options.log(protectionLeftOffNote(context.id, failed.error));
  },
  "halt-group": async (context, _record, step) => context.group?.halt(context.id, step.reason),
  restart,
  "clear-journal": async (context, record, step) => {
    await context.gateway.deleteTag(context.id, JOURNAL_TAG_KEY, step.tag);
    record.append({ kind: "journal", tag: undefined });
  },
  // Say what the instance has, not what this run assumed it had.
  "read-setting": async (context) =>
    (await context.gateway.describeInstance(context.id))?.CpuOptions?.NestedVirtualization,
  "record-failed-modify": async (context, _record, _step, error) => {
    const failure = {
      to: context.plan.desiredSetting,
      at: new Date().toISOString(),
      call: STEP_ACTIONS.modify ?? "modify",
      error: describeError(error),
    };
    await context.gateway
      .createTag(context.id, FAILED_CYCLE_TAG_KEY, encodeFailedCycle(failure))
      .catch(() => undefined);
  },
  "release-lease": releaseLease,
  "remove-journal": async (context, record) => {
    await context.gateway.deleteTag(context.id, JOURNAL_TAG_KEY, context.ourTag).catch(() => undefined);
    record.append({ kind: "journal", tag: undefined });
  },
  "release-shared-slot": (context, record, step) => releaseSharedSlot(context, record, step.untag),
  "release-rollout-slot": async (_context, record) => record.rolloutSlot?.release(),
  "return-to-service": async (context) => context.options.standby?.returnToService(),
};

/** Runs one recovery step by its kind. */
export function runRecoveryStep(
  context: CycleContext,
  record: CycleRecord,
  step: Exclude<RecoveryStep, { kind: "raise" }>,
  error: unknown,
): Promise<unknown> {
  // TypeScript cannot tie the table's entry to the step's own kind: the table is keyed by it, so they agree.
  const action = RECOVERY_STEPS[step.kind] as RecoveryAction<typeof step.kind>;
  return action(context, record, step as never, error);
}

/** Starts the instance again (its retries bounded, as it is down; capacity retried within timeouts.start). */
async function restart(context: CycleContext, record: CycleRecord, _step: unknown, error: unknown): Promise<void> {
  const { gateway, id, startWait, options } = context;
  options.log(`${restartReason(context, record, error)}; starting ${id} again`);
  const starter = new CapacityAwareStart(gateway, id, {
    timeoutSeconds: startWait.timeoutSeconds,
    pollIntervalMs: startWait.pollIntervalMs,
    retryWindowMs: DOWNTIME_RETRY_WINDOW_MS,
    log: options.log,
  });
  await starter.start();
  await starter.waitRunning();
}
