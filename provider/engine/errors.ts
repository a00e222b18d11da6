import type { PlanBlocker } from "./types";

/** Base of every error the engine raises; `code` is stable for programs, `message` is for people. */
export class NestedVirtError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly instanceId?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The plan found reasons not to touch the instance; nothing was changed. */
export class BlockedError extends NestedVirtError {
  constructor(
    instanceId: string,
    readonly blockers: PlanBlocker[],
  ) {
    super(
      "Blocked",
      `Instance ${instanceId} was not changed:\n${blockers.map((b) => `  - ${b.message}`).join("\n")}`,
      instanceId,
    );
  }
}

/** A wait ran past its timeout; the message names where the instance is stuck and what to do. */
export class WaitTimeoutError extends NestedVirtError {
  constructor(
    instanceId: string,
    readonly target: string,
    readonly lastState: string,
    readonly timeoutSeconds: number,
    advice: string,
  ) {
    super(
      "WaitTimeout",
      `Instance ${instanceId} did not reach "${target}" within ${timeoutSeconds}s; it is still "${lastState}". ${advice}`,
      instanceId,
    );
  }
}

/** The cycle failed part-way; `restored` says whether the instance was put back as it was. */
export class CycleFailedError extends NestedVirtError {
  constructor(
    instanceId: string,
    message: string,
    readonly restored: boolean,
    override readonly cause?: unknown,
  ) {
    super("CycleFailed", message, instanceId);
  }
}

/** Best-effort text of an unknown thrown value, including the AWS error code when there is one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { name?: string; Code?: string }).Code ?? error.name;
    return code && code !== "Error" && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { Code?: unknown; name?: unknown };
  if (typeof e.Code === "string") return e.Code;
  return typeof e.name === "string" ? e.name : undefined;
}
