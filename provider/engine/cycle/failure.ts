import {
  awsErrorCode,
  BlockedError,
  CancelledError,
  CycleFailedError,
  describeError,
  withoutFinalPeriod,
} from "../errors";
import { FAILED_CYCLE_HOLD_MS, RETRY_FAILED_CYCLE_ENV } from "../failed-cycle";
import { JOURNAL_TAG_KEY } from "../journal";
import { missingPermissionBlocker, STEP_ACTIONS } from "../plan";
import { protectionLeftOffNote } from "../stop-protection";
import type { CycleContext } from "./context";
import type { CycleRecord } from "./record";
import type { RaisedError } from "./recovery";

/**
 * The error a failed cycle raises, in the words of what it did and where it left the instance; a
 * note on the member's return to service (Standby) is added to whichever it is.
 */
export function raisedError(context: CycleContext, record: CycleRecord, error: unknown, raised: RaisedError): unknown {
  const result = errorFor(context, record, error, raised);
  const standbyNote = record.done("recovery", "return-to-service")?.detail;
  if (standbyNote && result instanceof Error) result.message = `${withoutFinalPeriod(result.message)}. ${standbyNote}`;
  return result;
}

function errorFor(context: CycleContext, record: CycleRecord, error: unknown, raised: RaisedError): unknown {
  const { id } = context;
  const note = leftOffNote(context, record);
  switch (raised) {
    case "as-is":
      return error;
    case "lift-refused":
      return liftRefusal(id, error, note);
    case "cancelled":
      return new CancelledError(id, `nothing was changed.${note ? ` ${note}` : ""}`);
    case "cycle-failed": {
      const what = STEP_ACTIONS[record.current ?? "modify"] ?? record.current;
      return new CycleFailedError(
        id,
        `${what} failed on ${id}: ${describeError(error)}. ${outcome(context, record)}${note ? ` ${note}` : ""}`,
        !record.stopRequested || record.startedAt !== undefined,
        error,
      );
    }
    case "restarted":
    case "restart-failed":
      return restartFailure(context, record, error, raised === "restarted");
  }
}

/** Turning lifted stop protection on again failed: what to do about it. */
function leftOffNote(context: CycleContext, record: CycleRecord): string | undefined {
  const failed = record.failedAt("recovery", "restore-stop-protection");
  return failed && protectionLeftOffNote(context.id, failed.error);
}

/** A refused lift of stop protection: nothing was stopped; a missing permission as the preflight's blocker. */
function liftRefusal(id: string, error: unknown, note: string | undefined): Error {
  if (awsErrorCode(error) === "UnauthorizedOperation")
    return new BlockedError(id, [missingPermissionBlocker(id, "ModifyInstanceAttribute")]);
  return new CycleFailedError(
    id,
    `ModifyInstanceAttribute (turning stop protection off) failed on ${id}: ${describeError(error)}. ${id} was not stopped and is as it was; fix the cause and run the update again.${note ? ` ${note}` : ""}`,
    note === undefined,
    error,
  );
}

/** Where a failed cycle left the instance, in words, with what to do next. */
function outcome(context: CycleContext, record: CycleRecord): string {
  const id = context.id;
  if (record.startedAt !== undefined) {
    const setting = record.modifiedAt !== undefined ? ` with NestedVirtualization=${context.plan.desiredSetting}` : "";
    return `The cycle itself completed: ${id} is running${setting}; only its journal tag ${JOURNAL_TAG_KEY} is left. Run the update again to remove it, or delete the tag by hand.`;
  }
  if (record.stopRequested) {
    return `The instance was stopped and may still be stopping; its journal tag ${JOURNAL_TAG_KEY} lets the next run finish the cycle. Run the update again once the cause is fixed.`;
  }
  return "The instance is as it was; run the update again once the cause is fixed.";
}

/** The failed step and what came back, as the restart's messages begin. */
export function restartReason(context: CycleContext, record: CycleRecord, error: unknown): string {
  const step = record.current ?? "stop";
  return `${STEP_ACTIONS[step] ?? `waiting (${step})`} failed on ${context.id}: ${describeError(error)}`;
}

/** After a start following the failure: what the instance has now, or that it is still down. */
function restartFailure(context: CycleContext, record: CycleRecord, error: unknown, restored: boolean): Error {
  const { id } = context;
  const reason = restartReason(context, record, error);
  const tail = `${heldOffNote(context, record)}${leftOffSuffix(context, record)}`;
  if (!restored) {
    const restartError = (["restart", "clear-journal", "read-setting"] as const)
      .map((kind) => record.failedAt("recovery", kind)?.error)
      .find((e) => e !== undefined);
    return new CycleFailedError(
      id,
      `${reason}. Starting it again also failed: ${describeError(restartError)}. ${id} is stopped (or stopping); the journal tag ${JOURNAL_TAG_KEY} is still on the instance: run the update again to start it, or start it by hand.${tail}`,
      false,
      error,
    );
  }
  const read = record.done("recovery", "read-setting");
  const assumed = record.modifiedAt !== undefined ? context.plan.desiredSetting : context.facts.nestedVirtualization;
  const since = record.downSince;
  const down =
    since === undefined || !read ? "" : ` (it was out of service for ${((read.at - since) / 1000).toFixed(1)} s)`;
  return new CycleFailedError(
    id,
    `${reason}. The instance was started again and has NestedVirtualization=${read?.detail ?? assumed}${down}; fix the cause and run the update again.${tail}`,
    true,
    error,
  );
}

/** A failed modify holds off the next runs to the same setting (failed-cycle.ts). */
function heldOffNote(context: CycleContext, record: CycleRecord): string {
  if (record.current !== "modify") return "";
  const minutes = Math.round(FAILED_CYCLE_HOLD_MS / 60_000);
  const { id } = context;
  const desired = context.plan.desiredSetting;
  return ` Runs within ${minutes} minutes that set NestedVirtualization=${desired} on ${id} again fail at plan with this error, without stopping it, unless ${RETRY_FAILED_CYCLE_ENV}=true is set.`;
}

function leftOffSuffix(context: CycleContext, record: CycleRecord): string {
  const note = leftOffNote(context, record);
  return note ? ` ${note}` : "";
}
