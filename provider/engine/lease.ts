import type { Instance } from "@aws-sdk/client-ec2";
import { NestedVirtError } from "./errors";
import type { Ec2Gateway } from "./gateway";
import { isLeaseHeld, JOURNAL_TAG_KEY } from "./journal";
import { RETRY, type Verdict } from "./poller";
import type { CycleJournal } from "./types";

/**
 * A holder between writing its journal and stopping the instance, or between the start and removing
 * the journal, may be held up by throttled retries: a `running` instance gets this much longer.
 */
const RUNNING_STALL_EXTRA_MS = 30_000;

/** How waiting for another run's cycle ended. */
export type OtherCycleOutcome =
  /** Its journal is gone or replaced: plan again from fresh facts. */
  | "finished"
  /** The instance sat settled for longer than the holder allows, or the lease ran out: the holder is gone. */
  | "abandoned";

export interface OtherCycleWait {
  /** Epoch ms by which the other cycle must have finished (this run's own stop timeout). */
  deadline: number;
  timeoutSeconds: number;
  pollIntervalMs: number;
  /** Fallback when the journal does not say how long its holder may leave the instance settled. */
  stallMs: number;
  signal?: AbortSignal;
}

/** The journal tag's exact value on an instance as DescribeInstances returned it. */
export function journalTagOf(instance: { Tags?: { Key?: string; Value?: string }[] } | undefined): string | undefined {
  return instance?.Tags?.find((t) => t.Key === JOURNAL_TAG_KEY)?.Value;
}

/**
 * Waits on the instance poller, beside the state waits, until another run's cycle on the instance is
 * over. A live holder moves the instance along within a few of its poll intervals; an instance left
 * `stopped` (or `running`) with the journal for longer than the journal's `stallMs` (plus
 * RUNNING_STALL_EXTRA_MS) means the holder died.
 */
export function waitForOtherCycle(
  gateway: Ec2Gateway,
  instanceId: string,
  held: { journal: CycleJournal; tag: string },
  options: OtherCycleWait,
): Promise<OtherCycleOutcome> {
  return gateway.instancePoller.wait({
    key: instanceId,
    kind: "other-cycle",
    acceptor: otherCycleAcceptor(held, held.journal.stallMs ?? options.stallMs),
    timeoutMs: Math.max(0, options.deadline - Date.now()),
    intervalMs: options.pollIntervalMs,
    signal: options.signal,
    onTimeout: () => new OtherCycleTimeoutError(instanceId, held.journal, options.timeoutSeconds),
  });
}

/** Decides from each look whether the holder finished, is gone, or is still at work. */
function otherCycleAcceptor(
  held: { journal: CycleJournal; tag: string },
  stallMs: number,
): (instance: Instance | undefined) => Verdict<OtherCycleOutcome> {
  let lastState: string | undefined;
  let since = Date.now();
  return (instance) => {
    const now = Date.now();
    if (journalTagOf(instance) !== held.tag) return { state: "success", result: "finished" };
    if (!isLeaseHeld(held.journal, now)) return { state: "success", result: "abandoned" };
    const state = instance?.State?.Name;
    if (state !== lastState) {
      lastState = state;
      since = now;
    }
    const allowance = state === "running" ? stallMs + RUNNING_STALL_EXTRA_MS : stallMs;
    if ((state === "stopped" || state === "running") && now - since >= allowance) {
      return { state: "success", result: "abandoned" };
    }
    return RETRY;
  };
}

/** Another run's cycle held the instance for longer than this run's stop timeout. */
export class OtherCycleTimeoutError extends NestedVirtError {
  constructor(instanceId: string, other: CycleJournal, timeoutSeconds: number) {
    super(
      "OtherCycleTimeout",
      `Instance ${instanceId} is being changed by another run (a cycle begun ${other.startedAt} that sets NestedVirtualization=${other.to}), which did not finish within ${timeoutSeconds}s, this run's stop timeout. This run changed nothing. If no other run is working on the instance, remove its journal tag with \`aws ec2 delete-tags --resources ${instanceId} --tags Key=${JOURNAL_TAG_KEY}\` and run again.`,
      instanceId,
    );
  }
}
