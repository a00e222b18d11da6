import type {
  MetadataBearer,
  MiddlewareStack,
  RetryErrorInfo,
  RetryStrategyV2,
  StandardRetryToken,
} from "@smithy/types";
import { DEFAULT_RETRY_DELAY_BASE, MAXIMUM_RETRY_DELAY, THROTTLING_RETRY_DELAY_BASE } from "@smithy/util-retry";
import { sleep } from "./abortable";
import { awsErrorCode, FAILED_CALL } from "./errors";

/** Attempts per call, including throttled ones; AWS_MAX_ATTEMPTS overrides it. */
const DEFAULT_MAX_ATTEMPTS = 25;

/**
 * EC2 throttles each API action with its own token bucket ("Request throttling for the Amazon EC2
 * API"), so a throttled DescribeInstances says nothing about StopInstances. The strategy keeps one
 * send rate per operation. It slows an operation down only when throttling is dense — at least half
 * of its recent answers — which is what sending faster than a bucket refills looks like; isolated
 * throttles (another client in the account, a blip) are retried with backoff and full jitter but do
 * not slow anything. An operation never slows below the documented refill rate of its bucket: at
 * that rate the bucket alone cannot be the cause. There is no client-wide retry quota: across a
 * fleet it would give up on every instance at once.
 */
export class FleetRetryStrategy implements RetryStrategyV2 {
  readonly mode = "adaptive";
  private readonly rates = new Map<string, SendRate>();

  constructor(private readonly maxAttempts: number) {}

  /** The strategy every gateway's client uses: DEFAULT_MAX_ATTEMPTS, or AWS_MAX_ATTEMPTS when set. */
  static fromEnvironment(): FleetRetryStrategy {
    return new FleetRetryStrategy(Number(process.env.AWS_MAX_ATTEMPTS) || DEFAULT_MAX_ATTEMPTS);
  }

  async acquireInitialRetryToken(scope: string): Promise<StandardRetryToken> {
    const [command = "", window] = scope.split(WINDOW_SEPARATOR);
    const operation = command.replace(/Command$/, "");
    await this.rateOf(operation).acquire();
    // The window starts with the first attempt: time spent waiting for a send slot is not retried away.
    const windowMs = Number(window);
    return retryToken(operation, 0, windowMs > 0 ? Date.now() + windowMs : undefined);
  }

  async refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo): Promise<StandardRetryToken> {
    const operation = operationOf(token);
    const rate = this.rateOf(operation);
    const throttled = errorInfo.errorType === "THROTTLING";
    rate.record(throttled);
    const retries = token.getRetryCount() + 1;
    // EC2 counts a lack of capacity among its server errors; the cycle retries it itself, with a
    // backoff sized for capacity to come back and each attempt counted (capacity.ts), not here.
    if (awsErrorCode(errorInfo.error) === "InsufficientInstanceCapacity")
      throw new Error("No retry token available: capacity refusals are retried by the cycle");
    const retryable = throttled || errorInfo.errorType === "TRANSIENT" || errorInfo.errorType === "SERVER_ERROR";
    if (!retryable || retries >= this.maxAttempts) throw new Error("No retry token available");
    const base = throttled ? THROTTLING_RETRY_DELAY_BASE : DEFAULT_RETRY_DELAY_BASE;
    // Full jitter: spreads a fleet's retries instead of synchronising them.
    let delay = Math.floor(Math.random() * Math.min(MAXIMUM_RETRY_DELAY, base * 2 ** token.getRetryCount()));
    const deadline = deadlineOf(token);
    // Within a window, server and transient errors are retried until it closes, at short intervals.
    // Throttling is not: EC2 asks to slow down, and giving up would only repeat the outage.
    if (deadline !== undefined && !throttled) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("No retry token available: the retry window has closed");
      delay = Math.min(delay, WINDOWED_MAX_DELAY_MS, left);
    }
    await sleep(delay);
    await rate.acquire();
    return retryToken(operation, retries, deadline);
  }

  recordSuccess(token: StandardRetryToken): void {
    this.rateOf(operationOf(token)).record(false);
  }

  /** When the operation may send next without waiting (now or earlier while it is unlimited). */
  nextSendAt(operation: string): number {
    return this.rateOf(operation).nextSendAt();
  }

  private rateOf(operation: string): SendRate {
    let rate = this.rates.get(operation);
    if (!rate) {
      rate = new SendRate(DOCUMENTED_REFILL_PER_SECOND[operation] ?? DEFAULT_REFILL_PER_SECOND);
      this.rates.set(operation, rate);
    }
    return rate;
  }
}

/**
 * Refill rates of EC2's documented request buckets for the operations the engine calls (page
 * "Request throttling for the Amazon EC2 API"); the floor of each operation's send rate.
 * DescribeInstances by instance ID counts as unfiltered and unpaginated (10/s, not 20/s).
 */
const DOCUMENTED_REFILL_PER_SECOND: Readonly<Record<string, number>> = {
  DescribeInstances: 10,
  DescribeInstanceStatus: 10,
  DescribeInstanceTypes: 20,
  DescribeInstanceAttribute: 20,
  StopInstances: 5,
  StartInstances: 2,
  ModifyInstanceCpuOptions: 5,
  CreateTags: 10,
  DeleteTags: 10,
};
/** The mutating-actions bucket, the lowest category the page lists besides a few special actions. */
const DEFAULT_REFILL_PER_SECOND = 5;

/** Throttled share of recent answers above which an operation slows down… */
const DENSE_THROTTLING = 0.5;
/** …and below which a slowed operation speeds up again. */
const RARE_THROTTLING = 0.1;
/** Weight of the newest answer in the throttled share (about the last ten answers count). */
const SHARE_WEIGHT = 0.1;

/**
 * One operation's pace: unlimited until throttling turns dense, then a FIFO schedule of send
 * slots at `perSecond`, halved at most once a second while throttling stays dense and raised by a
 * twentieth every second it is rare; back to unlimited once well above what it ever needed.
 */
export class SendRate {
  perSecond = Number.POSITIVE_INFINITY;
  private throttledShare = 0;
  private nextSlotAt = 0;
  private changedAt = 0;
  private readonly sent: number[] = [];

  constructor(private readonly floorPerSecond: number) {}

  nextSendAt(): number {
    return Number.isFinite(this.perSecond) ? this.nextSlotAt : 0;
  }

  async acquire(): Promise<void> {
    const now = Date.now();
    this.sent.push(now);
    while ((this.sent[0] ?? now) < now - 1000) this.sent.shift();
    if (!Number.isFinite(this.perSecond)) return;
    const slot = Math.max(now, this.nextSlotAt);
    this.nextSlotAt = slot + 1000 / this.perSecond;
    if (slot > now) await sleep(slot - now);
  }

  record(throttled: boolean, now = Date.now()): void {
    this.throttledShare = this.throttledShare * (1 - SHARE_WEIGHT) + (throttled ? SHARE_WEIGHT : 0);
    if (now - this.changedAt < 1000) return;
    if (throttled && this.throttledShare >= DENSE_THROTTLING) {
      const recent = Math.max(this.sent.length, this.floorPerSecond);
      this.perSecond = Math.max(this.floorPerSecond, Math.min(this.perSecond, recent) / 2);
      this.changedAt = now;
    } else if (this.throttledShare < RARE_THROTTLING && Number.isFinite(this.perSecond)) {
      this.perSecond *= 1.05;
      this.changedAt = now;
      if (this.perSecond > 100 * this.floorPerSecond) this.perSecond = Number.POSITIVE_INFINITY;
    }
  }
}

interface ScopedToken extends StandardRetryToken {
  operation: string;
  /** Epoch ms after which server and transient errors are no longer retried (a windowed call). */
  deadline?: number;
}

function retryToken(operation: string, count: number, deadline?: number): ScopedToken {
  return { operation, deadline, getRetryCount: () => count, getRetryDelay: () => 0, getRetryCost: () => undefined };
}

function operationOf(token: StandardRetryToken): string {
  return (token as Partial<ScopedToken>).operation ?? "";
}

function deadlineOf(token: StandardRetryToken): number | undefined {
  return (token as Partial<ScopedToken>).deadline;
}

/** Longest pause between two attempts of a windowed call: it is retried often while the window lasts. */
const WINDOWED_MAX_DELAY_MS = 2000;

const WINDOW_SEPARATOR = "|";

/** Retry windows of command inputs handed to `client.send`, by input object. */
const retryWindows = new WeakMap<object, number>();

/**
 * Marks a command's input so its server and transient errors are retried for at most `windowMs`
 * after its first attempt, instead of up to the attempt budget: for the calls made while an
 * instance is down because of the cycle, where every retry is downtime.
 */
export function withRetryWindow<T extends object>(input: T, windowMs: number): T {
  retryWindows.set(input, windowMs);
  return input;
}

/**
 * The SDK's retry middleware passes a scope to the strategy (its `partition_id` context entry);
 * this sets it to the command's name so the strategy can keep one send rate per EC2 operation, and
 * adds the call's retry window, if it has one. Errors leave it marked with the command's name, so
 * messages can say which call was answered how.
 */
export function scopeRetriesByOperation<I extends object, O extends MetadataBearer>(client: {
  middlewareStack: MiddlewareStack<I, O>;
}): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const window = retryWindows.get(args.input as object);
      (context as Record<string, unknown>).partition_id =
        window === undefined ? context.commandName : `${context.commandName}${WINDOW_SEPARATOR}${window}`;
      try {
        return await next(args);
      } catch (error) {
        if (typeof error === "object" && error !== null && !(FAILED_CALL in error)) {
          Object.defineProperty(error, FAILED_CALL, { value: (context.commandName ?? "").replace(/Command$/, "") });
        }
        throw error;
      }
    },
    { step: "initialize", name: "nestedvirtRetryScopeByOperation", override: true },
  );
}
