/**
 * The one batcher of the engine. Requests for different keys (instance IDs, instance types, tag
 * values) that arrive close together go out as one API call over all of them, cut to the API's
 * per-call limit: lookups (a fleet's DescribeInstances costs one call, not one per instance) and
 * changes alike (StopInstances, CreateTags of one tag for many instances).
 */

/**
 * Requests go out as one call once none has joined for BATCH_WINDOW_MS, or BATCH_MAX_WAIT_MS after
 * the first: wide enough for a front end's requests arriving one by one, short beside any API call.
 */
export const BATCH_WINDOW_MS = 15;
export const BATCH_MAX_WAIT_MS = 100;
/** Those two as BatchOptions. */
export const GATHERED = { windowMs: BATCH_WINDOW_MS, maxWaitMs: BATCH_MAX_WAIT_MS } as const;

/** One call for many keys; a key missing from the answer resolves undefined. */
export type LoadMany<K, V> = (keys: K[]) => Promise<Map<K, V>>;

export interface BatchOptions {
  /** Keys per call: the API's limit. */
  maxBatch: number;
  /**
   * > 0 also gathers requests made within this many milliseconds of each other, up to `maxWaitMs`
   * after the first: a front end's requests (Pulumi's check and create of each resource) arrive one
   * by one, not in one turn of the event loop. 0 gathers one turn only.
   */
  windowMs?: number;
  maxWaitMs?: number;
  /**
   * When the operation may send next. While that is further off than a window (the API throttles
   * it), a batch keeps gathering until then, so a slow bucket serves more keys.
   */
  readyAt?: () => number;
  /**
   * A failed call is tried again one key at a time, so each error lands on its own key (a change of
   * many instances that one of them refuses). Without it every key of the call gets the error.
   */
  splitOnFailure?: boolean;
}

/** Asked as the batch goes out: an error withdraws the request with that error instead. */
export type Veto = () => Error | undefined;

interface Caller<V> {
  resolve: (value: V | undefined) => void;
  reject: (error: unknown) => void;
  veto?: Veto;
}

interface Batch<K, V> {
  loadMany: LoadMany<K, V>;
  callers: Map<K, Caller<V>[]>;
  firstAt: number;
  timer?: NodeJS.Timeout;
  /** Set instead of `timer` when the batch gathers for one turn of the event loop only. */
  turn?: NodeJS.Immediate;
}

/**
 * Batches open per `group`: requests of one group share a meaning (a call's kind and arguments but
 * the keys), so the loader of the batch's first request serves them all.
 */
export class Batcher<K, V> {
  private readonly open = new Map<string, Batch<K, V>>();

  constructor(private readonly options: BatchOptions) {}

  /** `key`'s part of the answer of the group's next call. */
  load(key: K, loadMany: LoadMany<K, V>, group = "", veto?: Veto): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      let batch = this.open.get(group);
      if (!batch) {
        batch = { loadMany, callers: new Map(), firstAt: Date.now() };
        this.open.set(group, batch);
      }
      const callers = batch.callers.get(key) ?? [];
      callers.push({ resolve, reject, veto });
      batch.callers.set(key, callers);
      this.closeWhenQuiet(group, batch);
    });
  }

  private closeWhenQuiet(group: string, batch: Batch<K, V>): void {
    const windowMs = this.options.windowMs ?? 0;
    if (windowMs <= 0) {
      batch.turn ??= setImmediate(() => this.close(group, batch));
      return;
    }
    const now = Date.now();
    const at = closesAt(batch.firstAt, now, windowMs, this.options.maxWaitMs ?? windowMs);
    clearTimeout(batch.timer);
    batch.timer = setTimeout(() => this.close(group, batch), Math.max(0, at - now));
  }

  private close(group: string, batch: Batch<K, V>): void {
    const wait = (this.options.readyAt?.() ?? 0) - Date.now();
    if (wait > (this.options.windowMs ?? 0) && batch.callers.size < this.options.maxBatch) {
      batch.timer = setTimeout(() => this.close(group, batch), wait);
      return;
    }
    if (this.open.get(group) === batch) this.open.delete(group);
    withdrawVetoed(batch.callers);
    for (const keys of chunksOf([...batch.callers.keys()], this.options.maxBatch)) void this.send(batch, keys);
  }

  private async send(batch: Batch<K, V>, keys: K[]): Promise<void> {
    const settle = (key: K, outcome: { found: Map<K, V> } | { error: unknown }) => {
      for (const caller of batch.callers.get(key) ?? []) {
        if ("error" in outcome) caller.reject(outcome.error);
        else caller.resolve(outcome.found.get(key));
      }
    };
    try {
      const found = await batch.loadMany(keys);
      for (const key of keys) settle(key, { found });
    } catch (error) {
      if (!this.options.splitOnFailure || keys.length === 1) {
        for (const key of keys) settle(key, { error });
        return;
      }
      await Promise.all(
        keys.map((key) =>
          batch.loadMany([key]).then(
            (found) => settle(key, { found }),
            (alone: unknown) => settle(key, { error: alone }),
          ),
        ),
      );
    }
  }
}

/** Rejects the callers whose veto speaks now and forgets them; a key left with no caller goes too. */
function withdrawVetoed<K, V>(callers: Map<K, Caller<V>[]>): void {
  for (const [key, waiting] of callers) {
    const kept = waiting.filter((caller) => {
      const error = caller.veto?.();
      if (error) caller.reject(error);
      return !error;
    });
    if (kept.length > 0) callers.set(key, kept);
    else callers.delete(key);
  }
}

/** `items` cut into lists of at most `size`, in order: how a list meets an API's per-call limit. */
export function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** When a batch first joined at `firstAt` and last at `now` goes out: once quiet for `windowMs`, at most `maxWaitMs` after its first. */
function closesAt(firstAt: number, now: number, windowMs: number, maxWaitMs: number): number {
  return Math.min(now + windowMs, firstAt + maxWaitMs);
}
