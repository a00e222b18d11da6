import { NestedVirtError, WaitTimeoutError } from "./errors";
import type { Ec2Gateway } from "./gateway";
import { statusInstanceStateReason, type InstanceStatus } from "./status";

export interface WaitOptions {
  timeoutSeconds: number;
  pollIntervalMs: number;
  /** Ends the wait at once with the signal's reason (the run was told to stop). */
  signal?: AbortSignal;
}

/** Polling interval against real EC2; the emulator-backed tests and demo set a shorter one. */
export const DEFAULT_POLL_INTERVAL_MS = 5000;

export function pollIntervalFromEnvironment(): number {
  const fromEnv = Number(process.env.NESTEDVIRT_POLL_INTERVAL_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_POLL_INTERVAL_MS;
}

/** Sleeps `ms`, or rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * States from which the awaited state can no longer be reached. `stopped` while waiting for
 * `running` is not one of them: EC2 is eventually consistent, and right after StartInstances a
 * DescribeInstances may still report the old state (as `running` may linger after a stop).
 */
const HOPELESS: Record<"stopped" | "running", InstanceStatus[]> = {
  stopped: ["terminated", "shutting-down", "not-found"],
  running: ["terminated", "shutting-down", "not-found"],
};

const ADVICE: Record<"stopped" | "running", string> = {
  stopped:
    'Check the instance in the EC2 console; if it stays in "stopping", force-stop it (aws ec2 stop-instances --force). Then run the update again: the cycle journal on the instance lets the next run finish the cycle.',
  running:
    "Check the instance's status checks and system log in the EC2 console. Run the update again once it is running; the cycle journal on the instance lets the next run finish the cycle.",
};

async function waitForState(
  gateway: Ec2Gateway,
  instanceId: string,
  target: "stopped" | "running",
  options: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  for (;;) {
    options.signal?.throwIfAborted();
    const { state, reason } = await statusInstanceStateReason(gateway, instanceId);
    if (state === target) return;
    if (HOPELESS[target].includes(state)) {
      throw new NestedVirtError(
        "UnexpectedState",
        `Instance ${instanceId} went to "${state}" while waiting for "${target}"; something else is acting on it. Nothing more was changed.`,
        instanceId,
      );
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new WaitTimeoutError(instanceId, target, state, options.timeoutSeconds, ADVICE[target], reason);
    }
    await sleep(Math.min(options.pollIntervalMs, remaining), options.signal);
  }
}

export function waitInstanceStopped(gateway: Ec2Gateway, instanceId: string, options: WaitOptions): Promise<void> {
  return waitForState(gateway, instanceId, "stopped", options);
}

export function waitInstanceRunning(gateway: Ec2Gateway, instanceId: string, options: WaitOptions): Promise<void> {
  return waitForState(gateway, instanceId, "running", options);
}
