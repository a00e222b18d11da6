/**
 * Coalesces lookups made in the same turn of the event loop into one request, so a fleet of
 * resources (or many waiters polling at once) costs one DescribeInstances call instead of one per
 * instance. The loader returns a map keyed by the requested keys; missing keys resolve undefined.
 */
export class Batcher<K, V> {
  private pending = new Map<K, { resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[]>();
  private scheduled = false;
  private firstAt = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * `windowMs` > 0 also gathers lookups made within that many milliseconds of each other, up to
   * `maxWaitMs` after the first: a front end's requests (Pulumi's check and create of each
   * resource) arrive one by one, not in one turn.
   */
  constructor(
    private readonly loadMany: (keys: K[]) => Promise<Map<K, V>>,
    private readonly maxBatch: number,
    private readonly windowMs = 0,
    private readonly maxWaitMs = windowMs,
  ) {}

  load(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(key) ?? [];
      waiters.push({ resolve, reject });
      this.pending.set(key, waiters);
      if (this.windowMs <= 0) {
        if (!this.scheduled) setImmediate(() => this.flush());
        this.scheduled = true;
        return;
      }
      const now = Date.now();
      if (!this.scheduled) this.firstAt = now;
      this.scheduled = true;
      clearTimeout(this.timer);
      const at = closesAt(this.firstAt, now, this.windowMs, this.maxWaitMs);
      this.timer = setTimeout(() => this.flush(), Math.max(0, at - now));
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = new Map();
    const keys = [...batch.keys()];
    for (let i = 0; i < keys.length; i += this.maxBatch) {
      const chunk = keys.slice(i, i + this.maxBatch);
      this.loadMany(chunk).then(
        (found) => {
          for (const key of chunk) for (const waiter of batch.get(key) ?? []) waiter.resolve(found.get(key));
        },
        (error: unknown) => {
          for (const key of chunk) for (const waiter of batch.get(key) ?? []) waiter.reject(error);
        },
      );
    }
  }
}

/** When a batch first joined at `firstAt` and last at `now` goes out: once quiet for `windowMs`, at most `maxWaitMs` after its first. */
export function closesAt(firstAt: number, now: number, windowMs: number, maxWaitMs: number): number {
  return Math.min(now + windowMs, firstAt + maxWaitMs);
}
