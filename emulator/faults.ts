// Fault injection: random error rates, an account-wide request rate limit, scripted one-shot
// failures, latency, and instances that hang in "stopping".

import { defaultFaultMessage } from "./errors";

export interface InjectedFault {
  code: string;
  message: string;
}

export interface FailNextOptions {
  /** Only match DryRun calls (true) or only real calls (false); default: any call. */
  dryRun?: boolean;
  /** Only match calls that name this instance (StartInstances refused for one member of a fleet). */
  instanceId?: string;
}

interface ScriptedFailure extends InjectedFault, FailNextOptions {
  action: string;
  remaining: number;
}

interface ErrorRateFault {
  rate: number;
  code: string;
  actions?: readonly string[];
}

/** EC2 throttles with a token bucket per account: `burst` requests at once, refilled at `perSecond`. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

interface TokenBucket extends RateLimit {
  tokens: number;
  refilledAt: number;
}

export interface StuckInStoppingControl {
  setStuckInStopping(instanceId: string, stuck: boolean): void;
  clearStuckInStopping(): void;
}

export class Faults {
  private scripted: ScriptedFailure[] = [];
  private rateFault: ErrorRateFault | undefined;
  private latencyMs = 0;
  private bucket: TokenBucket | undefined;

  constructor(
    private readonly stuck: StuckInStoppingControl,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throttle like EC2 does: RequestLimitExceeded once the bucket is empty. `undefined` turns it off. */
  rateLimit(limit: RateLimit | undefined): void {
    if (limit && !(limit.perSecond > 0 && limit.burst >= 1))
      throw new Error(`rate limit needs perSecond > 0 and burst >= 1`);
    this.bucket = limit ? { ...limit, tokens: limit.burst, refilledAt: this.now() } : undefined;
  }

  private withinRateLimit(): boolean {
    const bucket = this.bucket;
    if (!bucket) return true;
    const now = this.now();
    bucket.tokens = Math.min(bucket.burst, bucket.tokens + ((now - bucket.refilledAt) / 1000) * bucket.perSecond);
    bucket.refilledAt = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Fail this fraction (0..1) of calls, optionally only for some actions. rate 0 turns it off. */
  errorRate(rate: number, code = "RequestLimitExceeded", actions?: string[]): void {
    if (!(rate >= 0 && rate <= 1)) throw new Error(`error rate must be within 0..1, got ${rate}`);
    this.rateFault = rate === 0 ? undefined : { rate, code, actions: actions ? [...actions] : undefined };
  }

  /** Fail the next `count` calls of `action` with `code`. */
  failNext(action: string, code: string, message?: string, count = 1, options: FailNextOptions = {}): void {
    this.scripted.push({
      action,
      code,
      message: message ?? defaultFaultMessage(code),
      remaining: count,
      dryRun: options.dryRun,
      instanceId: options.instanceId,
    });
  }

  /** Delay every EC2 response by this many milliseconds. */
  latency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** Keep the instance in "stopping" until released (stuck = false). */
  stuckInStopping(instanceId: string, stuck = true): void {
    this.stuck.setStuckInStopping(instanceId, stuck);
  }

  clear(): void {
    this.scripted = [];
    this.rateFault = undefined;
    this.bucket = undefined;
    this.latencyMs = 0;
    this.stuck.clearStuckInStopping();
  }

  get latencyMillis(): number {
    return this.latencyMs;
  }

  /** Consumes and returns the fault for this call, if any. */
  take(action: string, dryRun: boolean, instanceIds: readonly string[] = []): InjectedFault | undefined {
    const scripted = this.scripted.find(
      (fault) =>
        fault.action === action &&
        (fault.dryRun === undefined || fault.dryRun === dryRun) &&
        (fault.instanceId === undefined || instanceIds.includes(fault.instanceId)),
    );
    if (scripted) {
      scripted.remaining -= 1;
      if (scripted.remaining <= 0) this.scripted = this.scripted.filter((fault) => fault !== scripted);
      return { code: scripted.code, message: scripted.message };
    }
    if (!this.withinRateLimit())
      return { code: "RequestLimitExceeded", message: defaultFaultMessage("RequestLimitExceeded") };
    const rate = this.rateFault;
    if (rate && (!rate.actions || rate.actions.includes(action)) && this.random() < rate.rate) {
      return { code: rate.code, message: defaultFaultMessage(rate.code) };
    }
    return undefined;
  }
}
