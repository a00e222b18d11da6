import type { CycleJournal, NestedVirtSetting } from "./types";

/**
 * The journal lives on the instance as a tag, so whichever run comes next (another machine, a CI
 * job, the same stack after a crash) finds an interrupted cycle without any local state.
 */
export const JOURNAL_TAG_KEY = "nestedvirt:cycle";

interface JournalTagV1 {
  v: 1;
  prior: "running" | "stopped";
  from: NestedVirtSetting;
  to: NestedVirtSetting;
  at: string;
}

export function encodeJournal(journal: CycleJournal): string {
  const tag: JournalTagV1 = {
    v: 1,
    prior: journal.priorState,
    from: journal.from,
    to: journal.to,
    at: journal.startedAt,
  };
  return JSON.stringify(tag);
}

const isSetting = (v: unknown): v is NestedVirtSetting => v === "enabled" || v === "disabled";

/**
 * Reads a journal tag. A tag that cannot be read is still an interrupted cycle: it is treated as
 * one whose prior state was `running`, the safe assumption (the recovery starts the instance).
 */
export function decodeJournal(value: string): CycleJournal {
  try {
    const tag = JSON.parse(value) as Partial<JournalTagV1>;
    if (
      tag.v === 1 &&
      (tag.prior === "running" || tag.prior === "stopped") &&
      isSetting(tag.from) &&
      isSetting(tag.to)
    ) {
      return { priorState: tag.prior, from: tag.from, to: tag.to, startedAt: String(tag.at ?? "") };
    }
  } catch {
    // fall through to the safe reading
  }
  return { priorState: "running", from: "disabled", to: "enabled", startedAt: "" };
}
