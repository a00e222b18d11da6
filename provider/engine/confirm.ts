import { CLAIM_SETTLE_MS, FRESH_FACTS_MS } from "./cycle";
import { BATCH_MAX_WAIT_MS } from "./gateway";
import { isLeaseHeld } from "./journal";
import type { CycleJournal, InstanceFacts } from "./types";

/**
 * How long after its look a run that found nothing to do looks again before it answers. A run that
 * read the instance at the same moment and goes on to cycle it writes its journal within its fresh-facts
 * window and a batching window of that read, and the journal is visible one claim settle later; a
 * second look after all three sees it. Without that look, a run asking for the setting the instance
 * has now would report it while a concurrent run with the opposite target takes it away.
 */
export function confirmDelayMs(claimSettleMs?: number): number {
  return FRESH_FACTS_MS + BATCH_MAX_WAIT_MS + (claimSettleMs ?? CLAIM_SETTLE_MS.min);
}

/** The instance carries a live journal of another run: what it says is not this run's to report. */
export function anotherRunsCycle(facts: InstanceFacts, runToken: string, now: number): CycleJournal | undefined {
  const journal = facts.journal;
  return journal && journal.runToken !== runToken && isLeaseHeld(journal, now) ? journal : undefined;
}
