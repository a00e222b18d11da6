import type { Instance } from "@aws-sdk/client-ec2";
import { UnexpectedStateError, WaitTimeoutError } from "./errors";
import type { Ec2Gateway } from "./gateway";
import { groupMemberOf, hasRoom, SlotWaitTimeoutError } from "./group-slots";
import { RETRY, type Verdict } from "./poller";
import { type InstanceStatus, instanceStatusOf } from "./status";

/** Kept here too: the cycle, the capacity retries and the engine pause through it (see abortable.ts). */
export { sleep } from "./abortable";

export interface WaitOptions {
  timeoutSeconds: number;
  /** The waits' base polling interval; all waits of a process together poll at most once per interval. */
  pollIntervalMs: number;
  /** Ends the wait at once, rejecting with the signal's reason. */
  signal?: AbortSignal;
}

/** All waits of a process together cost at most one DescribeInstances per second by default. */
export const DEFAULT_POLL_INTERVAL_MS = 1000;

export function pollIntervalFromEnvironment(): number {
  const fromEnv = Number(process.env.NESTEDVIRT_POLL_INTERVAL_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_POLL_INTERVAL_MS;
}

/**
 * States from which the awaited state can no longer be reached. `stopped` while waiting for
 * `running` is not one of them: EC2 is eventually consistent, and right after StartInstances a
 * DescribeInstances may still report the old state (as `running` may linger after a stop).
 */
const HOPELESS: readonly InstanceStatus[] = ["terminated", "shutting-down", "not-found"];

const ADVICE: Record<"stopped" | "running", string> = {
  stopped:
    'Check the instance in the EC2 console; if it stays in "stopping", force-stop it (aws ec2 stop-instances --force). Then run the update again: the cycle journal on the instance lets the next run finish the cycle.',
  running:
    "Check the instance's status checks and system log in the EC2 console. Run the update again once it is running; the cycle journal on the instance lets the next run finish the cycle.",
};

/** The acceptors of a wait for `target`: reached, hopeless, or keep waiting. */
function stateAcceptor(
  instanceId: string,
  target: "stopped" | "running",
  failsWith?: (instance: Instance | undefined) => Error | undefined,
) {
  return (instance: Instance | undefined): Verdict<Instance> => {
    const failed = failsWith?.(instance);
    if (failed) return { state: "failure", error: failed };
    const state = instanceStatusOf(instance);
    if (state === target && instance) return { state: "success", result: instance };
    if (HOPELESS.includes(state)) {
      return {
        state: "failure",
        error: new UnexpectedStateError(instanceId, state, `"${target}"`),
      };
    }
    return RETRY;
  };
}

function waitForState(
  gateway: Ec2Gateway,
  instanceId: string,
  target: "stopped" | "running",
  options: WaitOptions,
  failsWith?: (instance: Instance | undefined) => Error | undefined,
): Promise<Instance> {
  return gateway.instancePoller.wait({
    key: instanceId,
    kind: `instance-${target}`,
    acceptor: stateAcceptor(instanceId, target, failsWith),
    timeoutMs: options.timeoutSeconds * 1000,
    intervalMs: options.pollIntervalMs,
    signal: options.signal,
    onTimeout: (last, observed) =>
      new WaitTimeoutError(
        instanceId,
        target,
        observed ? instanceStatusOf(last) : "not yet observed",
        options.timeoutSeconds,
        ADVICE[target],
        last?.StateReason?.Message || undefined,
      ),
  });
}

/** Resolves with the instance as the look that found it stopped saw it. */
export function waitInstanceStopped(gateway: Ec2Gateway, instanceId: string, options: WaitOptions): Promise<Instance> {
  return waitForState(gateway, instanceId, "stopped", options);
}

/** Resolves with the instance as the look that found it running saw it. */
export function waitInstanceRunning(gateway: Ec2Gateway, instanceId: string, options: WaitOptions): Promise<Instance> {
  return waitForState(gateway, instanceId, "running", options);
}

/**
 * Like waitInstanceRunning, but ends with the error `failsWith` returns for an observation (a start
 * that fell back to "stopped" for lack of capacity, see capacity.ts).
 */
export function waitInstanceRunningUnless(
  gateway: Ec2Gateway,
  instanceId: string,
  options: WaitOptions,
  failsWith: (instance: Instance | undefined) => Error | undefined,
): Promise<Instance> {
  return waitForState(gateway, instanceId, "running", options, failsWith);
}

/**
 * Waits until rollout group `group` (read across the region) has fewer than `maxUnavailable`
 * members holding a slot, not counting `instanceId` itself.
 */
export async function waitForGroupRoom(
  gateway: Ec2Gateway,
  instanceId: string,
  group: { name: string; maxUnavailable: number },
  options: WaitOptions,
): Promise<void> {
  const holdersOf = (members: Instance[] | undefined) =>
    (members ?? []).filter((m) => m.InstanceId !== instanceId).map((m) => m.InstanceId ?? "");
  await gateway.groupPoller.wait({
    key: group.name,
    kind: "group-room",
    acceptor: (members): Verdict<true> =>
      hasRoom((members ?? []).map(groupMemberOf), group.maxUnavailable, Date.now(), instanceId)
        ? { state: "success", result: true }
        : RETRY,
    timeoutMs: options.timeoutSeconds * 1000,
    intervalMs: options.pollIntervalMs,
    signal: options.signal,
    onTimeout: (last) =>
      new SlotWaitTimeoutError(instanceId, group.name, group.maxUnavailable, holdersOf(last), options.timeoutSeconds),
  });
}
