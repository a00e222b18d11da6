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
    /** EC2's StateReason message, when it says why the instance is where it is. */
    readonly stateReason?: string,
  ) {
    const why = stateReason ? ` (EC2 says: ${withoutFinalPeriod(stateReason)})` : "";
    super(
      "WaitTimeout",
      `Instance ${instanceId} did not reach "${target}" within ${formatSeconds(timeoutSeconds)}; it is still "${lastState}"${why}. ${advice}`,
      instanceId,
    );
  }
}

/** 90 → "90s", 0.5 → "500ms": the way the timeouts are written. */
function formatSeconds(seconds: number): string {
  return seconds >= 1 || seconds === 0 ? `${seconds}s` : `${Math.round(seconds * 1000)}ms`;
}

/** Joins a quoted message into a sentence without doubling its final period. */
export function withoutFinalPeriod(text: string): string {
  return text.replace(/[.\s]+$/, "");
}

/** The run was told to stop (StopProvider, a signal, its parent gone) before it stopped the instance. */
export class CancelledError extends NestedVirtError {
  constructor(instanceId: string, detail: string) {
    super("Cancelled", `The run was told to stop, so instance ${instanceId} was not stopped: ${detail}`, instanceId);
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
    const message = withoutFinalPeriod(error.message);
    return code && code !== "Error" && !message.startsWith(code) && !(error instanceof NestedVirtError)
      ? `${code}: ${message}`
      : message;
  }
  return withoutFinalPeriod(String(error));
}

export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { Code?: unknown; name?: unknown };
  if (typeof e.Code === "string") return e.Code;
  return typeof e.name === "string" ? e.name : undefined;
}
