/** Cycles starting within this long of the first of them take its time for their journals. */
const COHORT_MS = 100;

/**
 * The journal time of cycles that start together. Journals hold whole seconds; a fleet's cycles
 * claimed together must read alike, so EC2 gets one CreateTags (and later one DeleteTags) for all
 * of them instead of one per instance. One per connection: its cycles share batches.
 */
export class JournalCohort {
  private current: { startedAt: number; until: number } | undefined;

  /** The journal time of a cycle starting `now`: that of its cohort, so whole seconds do not split a fleet. */
  clock(now: number): number {
    if (!this.current || now > this.current.until) this.current = { startedAt: now, until: now + COHORT_MS };
    return this.current.startedAt;
  }
}
