import type { PlanBlocker } from "./types";

/**
 * Every `code` an engine error carries: stable for programs (Terraform diagnostics, the CLI's JSON,
 * tests), while `message` is for people. A new error class adds its code here.
 */
export type ErrorCode =
  | "Blocked"
  | "WaitTimeout"
  | "Cancelled"
  | "LookupFailed"
  | "CycleFailed"
  | "InvalidInputs"
  | "UnexpectedState"
  | "ChangedElsewhere"
  | "ImportWouldChange"
  | "RolloutHalted"
  | "RolloutMismatch"
  | "HealthGateFailed"
  | "ConflictingApply"
  | "SlotWaitTimeout"
  | "OtherCycleTimeout"
  | "DuplicateDeclaration"
  | "GuestCheckFailed"
  | "InsufficientCapacity"
  | "AutoScalingStandby";

/** Base of every error the engine raises; `code` is stable for programs, `message` is for people. */
export class NestedVirtError extends Error {
  constructor(
    readonly code: ErrorCode,
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

/** Looking at the instance (before any change) failed; the message says which call and what came back. */
export class LookupFailedError extends NestedVirtError {
  constructor(
    instanceId: string,
    override readonly cause: unknown,
  ) {
    super(
      "LookupFailed",
      `Could not look at instance ${instanceId}: ${callOf(cause) ?? "an EC2 call"} failed: ${describeError(cause)}. Nothing was changed and ${instanceId} was not stopped. Check the endpoint (AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL or the provider's endpoint) and the region, then run again.`,
      instanceId,
    );
  }
}

/** The resource's inputs do not parse; each failure names the attribute and what to write instead. */
export class InvalidInputsError extends NestedVirtError {
  constructor(readonly failures: readonly string[]) {
    super("InvalidInputs", failures.join("\n"));
  }
}

/** A wait found the instance in a state the cycle never leads to (terminated, shutting down…). */
export class UnexpectedStateError extends NestedVirtError {
  constructor(instanceId: string, found: string, waitingFor: string) {
    super(
      "UnexpectedState",
      `Instance ${instanceId} went to "${found}" while waiting for ${waitingFor}; something else is acting on it. Nothing more was changed.`,
      instanceId,
    );
  }
}

/** The read after the apply found another setting than the one the run applied or found. */
export class ChangedElsewhereError extends NestedVirtError {
  constructor(instanceId: string, found: string, applied: string) {
    super(
      "ChangedElsewhere",
      `Instance ${instanceId} has NestedVirtualization=${found}, not the "${applied}" this run applied or found: something else changed it meanwhile (another run, or a change made outside this tool). Find out what manages the instance, then run again.`,
      instanceId,
    );
  }
}

/** An import (adopt) that would have to change the instance to match the declared setting. */
export class ImportWouldChangeError extends NestedVirtError {
  constructor(instanceId: string, found: string, declared: string, interrupted: boolean) {
    super(
      "ImportWouldChange",
      `Instance ${instanceId} has NestedVirtualization=${found}${interrupted ? " and an interrupted cycle" : ""}; importing it as "${declared}" would change it. Set nestedVirtualization to "${found}" to import it as it is, or remove the import option to let the update change it.`,
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

/**
 * What came back for a failed call, in words: EC2's code, the HTTP status and EC2's message
 * (`InternalError (HTTP 500, 9 attempts): An internal error has occurred`); for an answer that is
 * not EC2's XML, what it was (`not an EC2 answer (HTML, HTTP 500)`) instead of the parser's complaint.
 */
export function describeError(error: unknown): string {
  if (error instanceof NestedVirtError) return withoutFinalPeriod(error.message);
  if (!(error instanceof Error)) return withoutFinalPeriod(String(error));
  const answer = answerOf(error);
  const message = withoutFinalPeriod(error.message);
  if (answer.kind === "not-ec2") return `not an EC2 answer (${answer.content}, ${answer.status})`;
  const code = awsErrorCode(error);
  const named = code !== undefined && code !== "Error" && !message.startsWith(code);
  const where = [answer.status, answer.attempts].filter((part) => part !== undefined).join(", ");
  if (!named) return where ? `${message} (${where})` : message;
  return where ? `${code} (${where}): ${message}` : `${code}: ${message}`;
}

/** An error's HTTP answer, as the AWS SDK recorded it. */
type Answer =
  | { kind: "ec2"; status?: string; attempts?: string }
  | { kind: "not-ec2"; status: string; content: string };

function answerOf(error: Error): Answer {
  const sdk = error as {
    $metadata?: { httpStatusCode?: number; attempts?: number };
    $response?: { statusCode?: number; headers?: Record<string, string> };
  };
  const statusCode = sdk.$metadata?.httpStatusCode ?? sdk.$response?.statusCode;
  const status = statusCode === undefined ? undefined : `HTTP ${statusCode}`;
  const attempts = (sdk.$metadata?.attempts ?? 1) > 1 ? `${sdk.$metadata?.attempts} attempts` : undefined;
  // The SDK's protocol parser failed on the body: the answer was not EC2's XML at all.
  if (/XML parse error|Deserialization error/.test(error.message) && awsErrorCode(error) === "Error") {
    return { kind: "not-ec2", status: status ?? "no HTTP status", content: contentKind(sdk.$response?.headers) };
  }
  return { kind: "ec2", status, attempts };
}

/** "HTML", "plain text", "JSON"… from a Content-Type header. */
function contentKind(headers: Record<string, string> | undefined): string {
  const type = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === "content-type")?.[1] ?? "";
  if (/html/i.test(type)) return "HTML";
  if (/json/i.test(type)) return "JSON";
  if (/text\/plain/i.test(type)) return "plain text";
  if (/xml/i.test(type)) return "malformed XML";
  return type ? (type.split(";")[0] ?? type) : "no content type";
}

/** The EC2 call an SDK error came from (recorded by the gateway's middleware), when known. */
export function callOf(error: unknown): string | undefined {
  const call = (error as { [FAILED_CALL]?: unknown } | null)?.[FAILED_CALL];
  return typeof call === "string" ? call : undefined;
}

/** Where the gateway's middleware records the command an error came from. */
export const FAILED_CALL = Symbol("nestedvirt.failedCall");

export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { Code?: unknown; name?: unknown };
  if (typeof e.Code === "string") return e.Code;
  return typeof e.name === "string" ? e.name : undefined;
}
