/**
 * Whether the process may still begin cycles, and which ones are under way. Front ends stop it
 * when they are told to (Terraform's StopProvider, SIGINT/SIGTERM, the parent process gone): no
 * StopInstances is issued afterwards, cycles already past their stop run until the instance is
 * running again, and `settled()` says when the process may exit.
 */
export class RunControl {
  private readonly controller = new AbortController();
  private readonly underWay = new Set<Promise<unknown>>();

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  /** Runs `work` with the stop signal and keeps track of it until it ends. */
  track<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const promise = work(this.signal);
    this.underWay.add(promise);
    const forget = () => this.underWay.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  stop(reason: string): void {
    if (!this.stopped) this.controller.abort(new Error(reason));
  }

  /** Resolves once nothing tracked is under way any more. */
  async settled(): Promise<void> {
    while (this.underWay.size > 0) await Promise.allSettled([...this.underWay]);
  }
}

/**
 * Calls `onGone` once the process that started this one has died (the process is re-parented).
 * go-plugin and Pulumi hosts run providers as children; a provider whose host was SIGKILLed would
 * otherwise serve an empty port forever.
 */
export function watchParent(onGone: () => void, intervalMs = 500): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
