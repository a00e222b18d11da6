import { awsErrorCode, BlockedError } from "../errors";
import { missingPermissionBlocker, stopProtectedBlocker } from "../plan";
import type { CycleContext } from "./context";
import type { CycleRecord } from "./record";

/**
 * The stop. A cycle of the group may have failed while this one claimed the instance, or the run
 * been told to stop: then no StopInstances. Asked again as the batched stop goes out.
 */
export async function stop(context: CycleContext, record: CycleRecord): Promise<void> {
  const { gateway, id, options } = context;
  const forbidden = stopForbidden(context);
  if (forbidden) throw forbidden;
  record.append({ kind: "stop-sent", at: Date.now() });
  if (record.stoppedByOther) {
    options.log(`${id} is already stopping (another run's stop); finishing the cycle without another stop`);
    return;
  }
  let withdrawn: Error | undefined;
  try {
    await gateway.stopInstance(id, false, () => {
      withdrawn = stopForbidden(context);
      return withdrawn;
    });
  } catch (error) {
    // Withdrawn before it went out, or refused by EC2: nothing was stopped. Anything else
    // (throttling given up on, a lost connection) may have stopped the instance, and is
    // handled as a stop that happened.
    if (withdrawn || isRefusal(error)) record.append({ kind: "stop-withdrawn" });
    throw stopRefusal(id, error);
  }
}

/** Why this cycle may not stop the instance now: the run was told to stop, or its group halted. */
function stopForbidden(context: CycleContext): Error | undefined {
  try {
    context.options.signal?.throwIfAborted();
    context.group?.throwIfHalted(context.id);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
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
