import type { CycleOptions } from "./options";

/**
 * Bounds of the claim's settle. It must outlast EC2's tag propagation and a competing run's
 * read-then-write of the journal, which scale with the endpoint's round trip. A competitor slower
 * than that is caught at the read-back, provided its stop has landed by then: the settle also
 * outlasts a read-back, a batching window and a StopInstances.
 */
export const CLAIM_SETTLE_MS = { min: 150, max: 2000 } as const;

/**
 * While the instance is down because of the cycle, the calls that keep it down (the modify, the
 * start) retry server and transient errors for this long after their first attempt, not for the
 * whole attempt budget: then the instance is started again in its old configuration. A modify
 * answered with 5xx thus adds this window and one answer's round trip to the outage (the issue
 * allows 20 s). Throttling is retried with the standard budget (see FleetRetryStrategy).
 */
export const DOWNTIME_RETRY_WINDOW_MS = 15_000;

/**
 * Facts younger than this need no second look before the journal is written: a competitor's whole
 * claim (write, settle of at least CLAIM_SETTLE_MS.min, read-back, stop) does not fit in it, and a
 * competitor that stopped the instance meanwhile is caught at the read-back.
 */
export const FRESH_FACTS_MS = CLAIM_SETTLE_MS.min;

/** The settle after a journal write that took `writeRoundTripMs`: three round trips, within bounds. */
export function claimSettleFor(writeRoundTripMs: number): number {
  return Math.min(CLAIM_SETTLE_MS.max, Math.max(CLAIM_SETTLE_MS.min, 3 * writeRoundTripMs));
}

/**
 * How long an instance may sit `stopped` with a journal before its holder counts as gone: a live
 * holder polls and moves on within a poll interval; the rest is room for a slow or busy machine.
 */
export function stallAllowanceMs(options: Pick<CycleOptions, "claimSettleMs" | "pollIntervalMs">): number {
  return (options.claimSettleMs ?? CLAIM_SETTLE_MS.max) + 3 * options.pollIntervalMs + 5000;
}
