import { NestedVirtError, WaitTimeoutError } from "./errors";
import type { Ec2Gateway } from "./gateway";
import { statusInstanceChecks, type InstanceChecks } from "./status";

export interface HealthWaitOptions {
  timeoutSeconds: number;
  pollIntervalMs: number;
  signal?: AbortSignal;
}

/** What one reading of the status checks means for the wait, in the manner of the AWS SDK's acceptors. */
interface Acceptor {
  state: "success" | "failure";
  matches: (checks: InstanceChecks) => boolean;
  /** For failures: the check that failed, for the message. */
  failedCheck?: (checks: InstanceChecks) => string;
}

const impairedCheck = (checks: InstanceChecks) =>
  [
    checks.instance === "impaired" ? "instance status check" : undefined,
    checks.system === "impaired" ? "system status check" : undefined,
  ]
    .filter(Boolean)
    .join(" and ");

/** Both checks `ok` ends the wait; either `impaired` fails it; anything else keeps polling. */
export const STATUS_OK_ACCEPTORS: readonly Acceptor[] = [
  { state: "success", matches: (c) => c.instance === "ok" && c.system === "ok" },
  {
    state: "failure",
    matches: (c) => c.instance === "impaired" || c.system === "impaired",
    failedCheck: impairedCheck,
  },
  {
    state: "failure",
    matches: (c) => c.state !== "running" && c.state !== "pending",
    failedCheck: (c) => `state ${c.state}`,
  },
];

/** The instance failed its health gate; it is running with the new setting but not healthy. */
export class HealthGateError extends NestedVirtError {
  constructor(
    instanceId: string,
    readonly failedCheck: string,
  ) {
    super(
      "HealthGateFailed",
      `Instance ${instanceId} is running but failed its health gate: ${failedCheck} is impaired (DescribeInstanceStatus). Look at its system log and status checks in the EC2 console; the CPU option change was applied.`,
      instanceId,
    );
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error("aborted"));
    }
    signal?.addEventListener("abort", abort, { once: true });
  });

/** Waits until EC2's instance and system status checks are both `ok`. */
export async function waitInstanceStatusOk(
  gateway: Ec2Gateway,
  instanceId: string,
  options: HealthWaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  for (;;) {
    options.signal?.throwIfAborted();
    const checks = await statusInstanceChecks(gateway, instanceId);
    const acceptor = STATUS_OK_ACCEPTORS.find((a) => a.matches(checks));
    if (acceptor?.state === "success") return;
    if (acceptor?.state === "failure") {
      if (checks.instance === "impaired" || checks.system === "impaired") {
        throw new HealthGateError(instanceId, acceptor.failedCheck?.(checks) ?? "a status check");
      }
      throw new NestedVirtError(
        "UnexpectedState",
        `Instance ${instanceId} went to "${checks.state}" while waiting for its status checks; something else is acting on it.`,
        instanceId,
      );
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new WaitTimeoutError(
        instanceId,
        "status checks ok",
        `instance ${checks.instance}, system ${checks.system}`,
        options.timeoutSeconds,
        "It is running with the new CPU option; raise timeouts.healthy if it needs longer to boot, or look at its status checks in the EC2 console.",
      );
    }
    await sleep(Math.min(options.pollIntervalMs, remaining), options.signal);
  }
}
