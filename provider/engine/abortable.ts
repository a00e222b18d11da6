/**
 * The one way a wait of the engine can be cut short: every wait (a sleep, a poller's wait, a place
 * in a rollout queue) is started through `abortable`, which rejects it with the signal's reason as
 * soon as the run is told to stop and lets the wait take back what it set up.
 */

/** What an aborted wait rejects with: the signal's reason when it is an Error, else an AbortError. */
function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(typeof reason === "string" ? reason : "The wait was cancelled");
  error.name = "AbortError";
  return error;
}

/**
 * A promise settled by `start`'s resolve or reject, or rejected with abortReason once `signal` aborts
 * first (at once if it already has, without calling `start`). The function `start` returns is called
 * on abort, to undo what the wait set up (a timer, a queue entry); after the wait has settled the
 * signal is no longer listened to.
 */
export function abortable<T>(
  signal: AbortSignal | undefined,
  start: (resolve: (value: T) => void, reject: (error: unknown) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      undo();
      reject(abortReason(signal));
    };
    const settle =
      <A>(how: (value: A) => void) =>
      (value: A) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        how(value);
      };
    const undo = start(settle(resolve), settle(reject));
    if (!settled) signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Sleeps `ms`, or rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return abortable<void>(signal, (resolve) => {
    const timer = setTimeout(resolve, ms);
    return () => clearTimeout(timer);
  });
}
