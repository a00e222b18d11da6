import type { Instance } from "@aws-sdk/client-ec2";
import { awsErrorCode, describeError, NestedVirtError, WaitTimeoutError, withoutFinalPeriod } from "./errors";
import type { Ec2Gateway } from "./gateway";
import { JOURNAL_TAG_KEY } from "./journal";
import { sleep, waitInstanceRunningUnless } from "./waiters";

/** The error code of a StartInstances that EC2 refuses because the Availability Zone lacks capacity. */
export const CAPACITY_ERROR_CODE = "InsufficientInstanceCapacity";

/** The StateReason of a start that EC2 accepted and then abandoned for lack of capacity (pending → stopped). */
export const CAPACITY_STATE_REASON = "Server.InsufficientInstanceCapacity";

/**
 * After an accepted StartInstances, a read may still show the instance as the previous failed
 * launch left it (EC2 is eventually consistent). A capacity failure read this soon after the start
 * counts only if its LaunchTime shows a new launch.
 */
const STALE_READ_MS = 3000;

/** Backoff between capacity retries, in poll intervals: from 2 (doubling, with jitter) up to 30. */
const BACKOFF_BASE_INTERVALS = 2;
const BACKOFF_CAP_INTERVALS = 30;

/** The starts of one cycle all failed for capacity until `timeouts.start` ran out. */
export class StartCapacityError extends NestedVirtError {
  constructor(
    instanceId: string,
    readonly attempts: number,
    readonly reason: string,
    timeoutSeconds: number,
  ) {
    super(
      "InsufficientCapacity",
      `Instance ${instanceId} could not be started again for lack of capacity: ${attempts} StartInstances within ${timeoutSeconds}s (timeouts.start) all failed (EC2 says: ${withoutFinalPeriod(reason)}). ${instanceId} is stopped; its cycle journal tag ${JOURNAL_TAG_KEY} is kept, so the next run retries the start and finishes the cycle. Run the update again later (EC2 frees capacity within minutes), or allow more time with timeouts.start.`,
      instanceId,
    );
  }
}

/** One start that failed for capacity, found by a read (the wait ends with it). */
class LaunchFailedForCapacity extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface CapacityRetryOptions {
  /** The bound of all attempts together, from the first StartInstances: `timeouts.start`. */
  timeoutSeconds: number;
  pollIntervalMs: number;
  /** Retry window of each StartInstances for server errors (the instance is down). */
  retryWindowMs?: number;
  log: (line: string) => void;
  /** For tests of the jitter; Math.random by default. */
  random?: () => number;
}

/** True when EC2 refused a StartInstances for lack of capacity. */
export function isCapacityRefusal(error: unknown): boolean {
  return awsErrorCode(error) === CAPACITY_ERROR_CODE;
}

/**
 * Starts an instance and waits until it runs, retrying the start while it fails for lack of
 * capacity: StartInstances refused with InsufficientInstanceCapacity, or the instance falling back
 * from `pending` to `stopped` with that StateReason. Retries back off with jitter (so a fleet's
 * instances do not all ask at once) until `timeouts.start`, counted from the first attempt. Other
 * errors end it at once, as before.
 */
export class CapacityAwareStart {
  /** StartInstances calls made (accepted or refused), for `lastCycle.startAttempts`. */
  attempts = 0;
  private deadline: number | undefined;
  private lastReason: string | undefined;
  private acceptedAt = 0;
  private launchSeen: string | undefined;

  constructor(
    private readonly gateway: Ec2Gateway,
    private readonly instanceId: string,
    private readonly options: CapacityRetryOptions,
  ) {}

  /** StartInstances until EC2 accepts it; refusals for capacity are retried with backoff. */
  async start(): Promise<void> {
    this.deadline ??= Date.now() + this.options.timeoutSeconds * 1000;
    for (;;) {
      this.attempts += 1;
      try {
        await this.gateway.startInstance(this.instanceId, false, this.options.retryWindowMs);
        this.acceptedAt = Date.now();
        return;
      } catch (error) {
        if (!isCapacityRefusal(error)) throw error;
        await this.backOff(describeError(error));
      }
    }
  }

  /** Waits until the instance runs; a launch that fails for capacity is started again. */
  async waitRunning(): Promise<Instance> {
    for (;;) {
      // The first wait has the whole bound, as before; after a retry, what is left of it.
      const timeoutSeconds =
        this.attempts <= 1 || this.deadline === undefined
          ? this.options.timeoutSeconds
          : Math.max(0.001, (this.deadline - Date.now()) / 1000);
      try {
        return await waitInstanceRunningUnless(
          this.gateway,
          this.instanceId,
          { timeoutSeconds, pollIntervalMs: this.options.pollIntervalMs },
          (instance) => this.capacityFailureIn(instance),
        );
      } catch (error) {
        if (error instanceof WaitTimeoutError && this.lastReason !== undefined) throw this.exhausted();
        if (!(error instanceof LaunchFailedForCapacity)) throw error;
        await this.backOff(error.reason);
        await this.start();
      }
    }
  }

  /** A read showing the latest start fell back to `stopped` for capacity. */
  private capacityFailureIn(instance: Instance | undefined): Error | undefined {
    if (instance?.State?.Name !== "stopped" || instance.StateReason?.Code !== CAPACITY_STATE_REASON) return undefined;
    const launch = instance.LaunchTime?.toISOString();
    const newLaunch = launch !== undefined && launch !== this.launchSeen;
    if (!newLaunch && Date.now() - this.acceptedAt < STALE_READ_MS) return undefined;
    this.launchSeen = launch;
    return new LaunchFailedForCapacity(instance.StateReason.Message || CAPACITY_STATE_REASON);
  }

  /** Sleeps before the next attempt, or gives up when the next attempt would come after the bound. */
  private async backOff(reason: string): Promise<void> {
    this.lastReason = reason;
    const interval = this.options.pollIntervalMs;
    const ceiling = Math.min(BACKOFF_CAP_INTERVALS, BACKOFF_BASE_INTERVALS * 2 ** (this.attempts - 1)) * interval;
    // Equal jitter: at least half the step, so retries still back off, spread over the other half.
    const delay = ceiling / 2 + (this.options.random ?? Math.random)() * (ceiling / 2);
    if (Date.now() + delay >= (this.deadline ?? 0)) throw this.exhausted();
    this.options.log(
      `${this.instanceId}: start ${this.attempts} failed for lack of capacity (${withoutFinalPeriod(reason)}); trying again in ${(delay / 1000).toFixed(1)} s`,
    );
    await sleep(delay);
  }

  private exhausted(): StartCapacityError {
    return new StartCapacityError(
      this.instanceId,
      this.attempts,
      this.lastReason ?? CAPACITY_STATE_REASON,
      this.options.timeoutSeconds,
    );
  }
}
