// Fault injection: random error rates, an account-wide request rate limit, scripted one-shot
// failures (any EC2 code, any HTTP status, or an HTML page instead of EC2's XML), actions answered
// as not implemented, latency, and instances that hang in "stopping".

import { defaultFaultMessage } from "./errors";
import type { QueryParams } from "./query";
import { Ec2Throttling, TokenBucket } from "./throttling";

export interface InjectedFault {
  code: string;
  message: string;
  /** The HTTP status of the answer; default: the one EC2 uses for `code`. */
  status?: number;
  /** Answer with an HTML page instead of EC2's XML (a proxy or a web server in front of the endpoint). */
  html?: boolean;
}

export interface FailNextOptions {
  /** Only match DryRun calls (true) or only real calls (false); default: any call. */
  dryRun?: boolean;
  /**
   * Only match calls that name this instance (StartInstances refused for one member of a fleet). A
   * request naming other instances too fails whole, as EC2 fails it, without using up `count`:
   * the count is of calls for this instance alone, so a client that batches and then retries one
   * by one sees the same number of refusals as one that does not batch.
   */
  instanceId?: string;
  /** See InjectedFault. */
  status?: number;
  html?: boolean;
}

interface ScriptedFailure extends InjectedFault, FailNextOptions {
  action: string;
  remaining: number;
}

interface ErrorRateFault {
  rate: number;
  /** One of these, picked at random for each refused call. */
  codes: readonly string[];
  actions?: readonly string[];
}

/** EC2 throttles with a token bucket per account: `burst` requests at once, refilled at `perSecond`. */
export interface RateLimit {
  perSecond: number;
  burst: number;
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
  private documented: Ec2Throttling | undefined;
  private unimplemented = new Set<string>();
  private readonly heldReplies = new Map<string, number>();

  constructor(
    private readonly stuck: StuckInStoppingControl,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throttle like EC2 does: RequestLimitExceeded once the bucket is empty. `undefined` turns it off. */
  rateLimit(limit: RateLimit | undefined): void {
    if (limit && !(limit.perSecond > 0 && limit.burst >= 1))
      throw new Error(`rate limit needs perSecond > 0 and burst >= 1`);
    this.bucket = limit
      ? new TokenBucket({ capacity: limit.burst, refillPerSecond: limit.perSecond }, this.now())
      : undefined;
  }

  /** Throttle per API with the buckets of EC2's documentation (see throttling.ts); false turns it off. */
  documentedRateLimits(on: boolean): void {
    this.documented = on ? new Ec2Throttling(this.now) : undefined;
  }

  private withinRateLimits(action: string, params: QueryParams, dryRun: boolean): boolean {
    if (this.bucket && !this.bucket.take(1, this.now())) return false;
    return this.documented ? this.documented.admit(action, params, dryRun) : true;
  }

  /**
   * Fail this fraction (0..1) of calls with `code` (or one of several codes, picked at random),
   * optionally only for some actions. rate 0 turns it off.
   */
  errorRate(rate: number, code: string | readonly string[] = "RequestLimitExceeded", actions?: string[]): void {
    if (!(rate >= 0 && rate <= 1)) throw new Error(`error rate must be within 0..1, got ${rate}`);
    const codes = typeof code === "string" ? [code] : [...code];
    if (codes.length === 0) throw new Error("error rate needs at least one error code");
    this.rateFault = rate === 0 ? undefined : { rate, codes, actions: actions ? [...actions] : undefined };
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
      status: options.status,
      html: options.html,
    });
  }

  /**
   * Answer these actions as an endpoint that does not implement them: InvalidAction (HTTP 400) for
   * every call, DryRun or not, until cleared (an empty list, or `clear`).
   */
  unimplementedActions(actions: readonly string[]): void {
    this.unimplemented = new Set(actions);
  }

  isUnimplemented(action: string): boolean {
    return this.unimplemented.has(action);
  }

  /** Delay every EC2 response by this many milliseconds. */
  latency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /**
   * Answer `action` (not its DryRuns) this many milliseconds after it took effect (0 turns it off):
   * the request has done its work while the caller has not heard so yet, the moment a test kills it.
   */
  holdReply(action: string, ms: number): void {
    if (ms > 0) this.heldReplies.set(action, ms);
    else this.heldReplies.delete(action);
  }

  replyHoldMillis(action: string): number {
    return this.heldReplies.get(action) ?? 0;
  }

  /** Keep the instance in "stopping" until released (stuck = false). */
  stuckInStopping(instanceId: string, stuck = true): void {
    this.stuck.setStuckInStopping(instanceId, stuck);
  }

  clear(): void {
    this.scripted = [];
    this.rateFault = undefined;
    this.bucket = undefined;
    this.documented = undefined;
    this.latencyMs = 0;
    this.unimplemented.clear();
    this.heldReplies.clear();
    this.stuck.clearStuckInStopping();
  }

  get latencyMillis(): number {
    return this.latencyMs;
  }

  /** Consumes and returns the fault for this call, if any. */
  take(action: string, dryRun: boolean, params: QueryParams = new Map()): InjectedFault | undefined {
    const scripted = this.scripted.find(
      (fault) =>
        fault.action === action &&
        (fault.dryRun === undefined || fault.dryRun === dryRun) &&
        (fault.instanceId === undefined || namesInstance(params, fault.instanceId)),
    );
    if (scripted) {
      const fault: InjectedFault = {
        code: scripted.code,
        message: scripted.message,
        ...(scripted.status !== undefined ? { status: scripted.status } : {}),
        ...(scripted.html ? { html: true } : {}),
      };
      if (scripted.instanceId !== undefined && instanceCount(params) > 1) return fault;
      scripted.remaining -= 1;
      if (scripted.remaining <= 0) this.scripted = this.scripted.filter((f) => f !== scripted);
      return fault;
    }
    if (!this.withinRateLimits(action, params, dryRun))
      return { code: "RequestLimitExceeded", message: defaultFaultMessage("RequestLimitExceeded") };
    const rate = this.rateFault;
    if (rate && (!rate.actions || rate.actions.includes(action)) && this.random() < rate.rate) {
      const code = rate.codes[Math.floor(this.random() * rate.codes.length)] ?? "RequestLimitExceeded";
      return { code, message: defaultFaultMessage(code) };
    }
    return undefined;
  }
}

/** How many instances the request names. */
function instanceCount(params: QueryParams): number {
  return [...params.keys()].filter((key) => /^(InstanceId|ResourceId)(\.\d+)?$/.test(key)).length;
}

/** True when the request names the instance (`InstanceId`, `InstanceId.N` or `ResourceId.N`). */
function namesInstance(params: QueryParams, instanceId: string): boolean {
  for (const [key, value] of params) {
    if (value === instanceId && /^(InstanceId|ResourceId)(\.\d+)?$/.test(key)) return true;
  }
  return false;
}
