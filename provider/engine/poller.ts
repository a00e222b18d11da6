import { abortable } from "./abortable";
import { chunksOf } from "./batcher";

/**
 * One polling loop for many waits. Each wait registers a key (an instance ID) and an acceptor; every
 * tick asks for all waiting keys in as few calls as the API allows (up to `maxKeysPerCall` each) and
 * hands each wait its observation. What ends a wait is data — the acceptor's verdict — or its
 * deadline, or its AbortSignal; never a sleep loop of its own.
 *
 * The pace follows what is waiting: a wait of a kind whose duration has been seen before (in this
 * process) is looked at in a window around that duration (see `intervalFor`); one of an unknown
 * kind every `intervalMs`. A budget caps the calls: at most one per `intervalMs` on average (a
 * burst allowed), shared by every poller that shares the budget, whatever the number of waits;
 * looks unlikely to find an end leave part of it for the looks that are (see `likelyEndLookAt`).
 */

export type Verdict<R> = { state: "retry" } | { state: "success"; result: R } | { state: "failure"; error: Error };

export const RETRY: Verdict<never> = { state: "retry" };

export interface WaitRequest<V, R> {
  key: string;
  /** Waits of one kind take alike durations (e.g. "instance-stopped"); the poller learns them. */
  kind: string;
  /** Decides from the latest observation; undefined means the API does not know the key. */
  acceptor: (observed: V | undefined) => Verdict<R>;
  timeoutMs: number;
  /** The error for a wait that ran out of time, given the last observation (if any). */
  onTimeout: (last: V | undefined, observed: boolean) => Error;
  /** Base interval this wait asks for; the poller's budget follows the shortest one waiting. */
  intervalMs: number;
  signal?: AbortSignal;
}

/**
 * What a wait sees when a failed call is its to judge: the poller itself only backs off and looks
 * again, but some waits must end at once on an error they cannot outwait (access denied).
 */
export type Observed<V> = { found: V | undefined } | { failed: unknown };

/** A poller's fetch whose failure is handed to every key's acceptor instead of retried. */
export function reportingFailures<V>(
  fetch: (keys: string[]) => Promise<Map<string, V>>,
): (keys: string[]) => Promise<Map<string, Observed<V>>> {
  return async (keys) => {
    try {
      const found = await fetch(keys);
      return new Map(keys.map((key) => [key, { found: found.get(key) }]));
    } catch (failed) {
      return new Map(keys.map((key) => [key, { failed }]));
    }
  };
}

export interface PollerOptions<V> {
  fetch: (keys: string[]) => Promise<Map<string, V>>;
  maxKeysPerCall: number;
  budget: PollBudget;
  /** Learned durations per kind of wait, in ms; shared by the pollers of a process by default. */
  durations?: Map<string, number>;
}

/** What the process has seen so far: a region's stops take alike times whatever the connection. */
const PROCESS_DURATIONS = new Map<string, number>();

/** A token bucket of poll calls: refills at one call per interval, holds a short burst. */
export class PollBudget {
  private tokens: number;
  private refilledAt = Date.now();

  /** The burst lets a wait look closely around its expected end (see WINDOW_LOOKS) and still average one per interval. */
  constructor(readonly burst = 8) {
    this.tokens = burst;
  }

  /** When `calls` calls may go out at the given pace (now or later). */
  readyAt(calls: number, intervalMs: number, now = Date.now()): number {
    this.refill(intervalMs, now);
    return this.tokens >= calls ? now : now + (calls - this.tokens) * intervalMs;
  }

  spend(calls: number, intervalMs: number, now = Date.now()): void {
    this.refill(intervalMs, now);
    this.tokens -= calls;
  }

  private refill(intervalMs: number, now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.refilledAt) / intervalMs);
    this.refilledAt = now;
  }
}

interface Entry<V> {
  request: WaitRequest<V, unknown>;
  startedAt: number;
  dueAt: number;
  /** Last time the wait was seen not done (lower bound of its duration). */
  lastRetryAt: number;
  /** Looks taken after the expected duration had passed. */
  lateLooks: number;
  last?: V;
  observed: boolean;
  settle: (outcome: { result: unknown } | { error: unknown }) => void;
}

/** Shortest spacing of two ticks, and of looks near an expected completion. */
const DENSE_FRACTION = 4;
/** How far a wait of a learned kind may end from the learned duration, as a fraction of it. */
const EXPECTED_SPREAD = 0.1;
/** How far one precise sample moves a learned duration. */
const LEARNING_RATE = 0.4;
/** Tokens that looks unlikely to find an end (see likelyEndLookAt) leave in the budget. */
const RESERVED_FOR_NEAR_LOOKS = 3;
/** Looks per spread across the window: six over the whole window, which the budget's burst covers. */
const WINDOW_LOOKS = 3;
/** Failed ticks back off up to this. */
const MAX_BACKOFF_MS = 10_000;

export class SharedPoller<V> {
  private readonly entries = new Set<Entry<V>>();
  /** Learned duration per kind: exponentially weighted mean, in ms. */
  private readonly expected: Map<string, number>;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private ticking = false;
  private failedTicks = 0;
  private lastTickAt = 0;

  constructor(private readonly options: PollerOptions<V>) {
    this.expected = options.durations ?? PROCESS_DURATIONS;
  }

  get waiting(): number {
    return this.entries.size;
  }

  wait<R>(request: WaitRequest<V, R>): Promise<R> {
    return abortable<R>(request.signal, (resolve, reject) => {
      const now = Date.now();
      const entry: Entry<V> = {
        request: request as WaitRequest<V, unknown>,
        startedAt: now,
        dueAt: now + this.intervalFor(request.kind, request.intervalMs, 0, 0),
        lastRetryAt: now,
        lateLooks: 0,
        observed: false,
        settle: (outcome) => {
          if (!this.entries.delete(entry)) return;
          clearTimeout(deadline);
          if ("error" in outcome) reject(outcome.error);
          else resolve(outcome.result as R);
        },
      };
      this.entries.add(entry);
      const deadline = setTimeout(
        () => entry.settle({ error: request.onTimeout(entry.last, entry.observed) }),
        request.timeoutMs,
      );
      this.schedule();
      return () => {
        this.entries.delete(entry);
        clearTimeout(deadline);
      };
    });
  }

  /**
   * Next look for a wait of `kind` that has waited `elapsedMs`. Without a learned duration, every
   * `intervalMs`. With one, the looks gather in a window of ±EXPECTED_SPREAD around it: one early
   * look at half the way there (should this one be quicker), then a full budget spent evenly
   * across the window, then looks further and further apart (doubling every two) should it take
   * longer still.
   */
  private intervalFor(kind: string, intervalMs: number, elapsedMs: number, lateLooks: number): number {
    const dense = intervalMs / DENSE_FRACTION;
    const expected = this.expected.get(kind);
    if (expected === undefined) return intervalMs;
    const spread = spreadOf(expected, intervalMs);
    const toWindow = expected - spread - elapsedMs;
    if (toWindow > 0) return toWindow / 2 >= 2 * intervalMs ? toWindow / 2 : toWindow;
    if (elapsedMs < expected + spread) return Math.max(dense, spread / WINDOW_LOOKS);
    return Math.min(intervalMs, dense * 2 ** Math.floor(lateLooks / 2));
  }

  /**
   * The entry's window around its kind's expected end, as times, and when to look for the end: half a
   * dense look after it, as a look just before an end costs a whole interval when the budget is short,
   * one just after costs little. Undefined for a kind not learned yet.
   */
  private windowOf(entry: Entry<V>): { from: number; end: number; to: number } | undefined {
    const expected = this.expected.get(entry.request.kind);
    if (expected === undefined) return undefined;
    const spread = spreadOf(expected, entry.request.intervalMs);
    const end = entry.startedAt + expected + entry.request.intervalMs / DENSE_FRACTION / 2;
    return { from: entry.startedAt + expected - spread, end, to: entry.startedAt + expected + spread };
  }

  /**
   * When the entry's next look is likely to find its end, if it is to be taken before its window
   * closes: not before the expected end. Such a look may spend the whole budget. Looks earlier in the
   * window are taken only while the budget can spare them: with few tokens, a look just before the
   * end would spend the token that the look just after it needs.
   */
  private likelyEndLookAt(entry: Entry<V>): number | undefined {
    const window = this.windowOf(entry);
    if (window === undefined || entry.dueAt > window.to) return undefined;
    return Math.max(entry.dueAt, window.end);
  }

  /** Whether some wait's window is open, or opens before the budget could refill `tokens` calls. */
  private windowWithin(tokens: number, pace: number, now: number): boolean {
    for (const entry of this.entries) {
      const window = this.windowOf(entry);
      if (window && window.to >= now && window.from <= now + tokens * pace) return true;
    }
    return false;
  }

  private paceMs(): number {
    let pace = Number.POSITIVE_INFINITY;
    for (const entry of this.entries) pace = Math.min(pace, entry.request.intervalMs);
    return pace;
  }

  private callsPerTick(): number {
    return Math.max(
      1,
      Math.ceil(new Set([...this.entries].map((e) => e.request.key)).size / this.options.maxKeysPerCall),
    );
  }

  private schedule(): void {
    if (this.ticking || this.entries.size === 0) return;
    const pace = this.paceMs();
    const now = Date.now();
    // Looks likely to find an end may spend the whole budget; the others leave a reserve for them, so
    // a fleet's routine looks (and early looks in a window) do not starve the looks that find ends.
    // Only while such a window is open or about to open: a reserve kept for no one would delay the
    // routine looks by as many intervals, just when the waits of a fleet's tail end.
    let dueNear = Number.POSITIVE_INFINITY;
    let dueOther = Number.POSITIVE_INFINITY;
    for (const entry of this.entries) {
      dueNear = Math.min(dueNear, this.likelyEndLookAt(entry) ?? Number.POSITIVE_INFINITY);
      dueOther = Math.min(dueOther, entry.dueAt);
    }
    const calls = this.callsPerTick();
    const { budget } = this.options;
    const held = Math.max(0, Math.min(RESERVED_FOR_NEAR_LOOKS, budget.burst - calls));
    const reserve = held > 0 && this.windowWithin(held, pace, now) ? held : 0;
    const backoff = this.failedTicks > 0 ? Math.min(MAX_BACKOFF_MS, pace * 2 ** this.failedTicks) : 0;
    const at = Math.max(
      this.lastTickAt + Math.max(pace / DENSE_FRACTION, backoff),
      Math.min(
        Math.max(dueNear, budget.readyAt(calls, pace, now)),
        Math.max(dueOther, budget.readyAt(calls + reserve, pace, now)),
      ),
    );
    if (this.timer && at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => void this.tick(), Math.max(0, at - now));
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.entries.size === 0) return;
    this.ticking = true;
    const keys = [...new Set([...this.entries].map((e) => e.request.key))];
    const chunks = chunksOf(keys, this.options.maxKeysPerCall);
    this.options.budget.spend(chunks.length, this.paceMs());
    const sentAt = Date.now();
    this.lastTickAt = sentAt;
    try {
      const results = await Promise.allSettled(chunks.map((chunk) => this.options.fetch(chunk)));
      const now = Date.now();
      this.failedTicks = results.some((r) => r.status === "rejected") ? this.failedTicks + 1 : 0;
      results.forEach((result, i) => {
        if (result.status === "fulfilled") this.deliver(new Set(chunks[i]), result.value, sentAt, now);
      });
    } finally {
      this.ticking = false;
      this.schedule();
    }
  }

  private deliver(keys: ReadonlySet<string>, observed: Map<string, V>, sentAt: number, now: number): void {
    for (const entry of [...this.entries]) {
      const { request } = entry;
      // An answer to a request sent before the wait began may predate what the wait is for (its
      // caller's StartInstances, say): only the next tick may settle it.
      if (!keys.has(request.key) || entry.startedAt > sentAt) continue;
      const value = observed.get(request.key);
      entry.last = value;
      entry.observed = true;
      let verdict: Verdict<unknown>;
      try {
        verdict = request.acceptor(value);
      } catch (error) {
        verdict = { state: "failure", error: error instanceof Error ? error : new Error(String(error)) };
      }
      if (verdict.state === "retry") {
        // Every wait in the tick was looked at, due or not: its next look counts from this one, so
        // waits that began at different moments do not each pull in a tick of their own.
        entry.lastRetryAt = now;
        // Late looks space out by the wait's own looks, not by ticks that other waits pulled in.
        const window = this.windowOf(entry);
        const lateAndDue = window !== undefined && now >= window.to && entry.dueAt <= now;
        entry.dueAt = now + this.intervalFor(request.kind, request.intervalMs, now - entry.startedAt, entry.lateLooks);
        if (lateAndDue) entry.lateLooks++;
        continue;
      }
      // It ended between the last look that found it not done and this one. A wait done at its
      // first look says nothing about how long such waits take.
      if (verdict.state === "success" && entry.lastRetryAt > entry.startedAt) {
        const dense = request.intervalMs / DENSE_FRACTION;
        // A sample bounded within a dense look counts fully; one between two looks a second apart, little.
        const weight = Math.min(1, dense / Math.max(dense, now - entry.lastRetryAt));
        this.learn(request.kind, (entry.lastRetryAt + now) / 2 - entry.startedAt, weight);
      }
      entry.settle(verdict.state === "success" ? { result: verdict.result } : { error: verdict.error });
    }
  }

  /** Exponentially weighted: a precise sample moves the estimate by LEARNING_RATE, a vague one less. */
  private learn(kind: string, durationMs: number, weight: number): void {
    const previous = this.expected.get(kind);
    const rate = LEARNING_RATE * weight;
    this.expected.set(kind, previous === undefined ? durationMs : (1 - rate) * previous + rate * durationMs);
  }
}

/** Half-width of the window around an expected duration: EXPECTED_SPREAD of it, at least two dense looks. */
function spreadOf(expectedMs: number, intervalMs: number): number {
  return Math.max((2 * intervalMs) / DENSE_FRACTION, expectedMs * EXPECTED_SPREAD);
}
