import type { CycleJournal, NestedVirtSetting } from "./types";

/**
 * The journal lives on the instance as a tag, so whichever run comes next (another machine, a CI
 * job, the same stack after a crash) finds an interrupted cycle without any local state. It is
 * also a lease: it names the run that holds the instance and how long that run may need, so a
 * second run waits for the first instead of stopping the instance a second time.
 */
export const JOURNAL_TAG_KEY = "nestedvirt:cycle";

/**
 * The journal versions this release reads; 1 predates leases (no run token). 3 records what a
 * release that does not know it must not drop: a standby (`asg`) and lifted stop protection
 * (`lift`). It is written only when either is present, so that a release that cannot return the
 * instance to service or restore its protection refuses the journal (a blocker) instead of
 * finishing the cycle without ExitStandby or with the protection left off.
 */
const CURRENT_VERSION = 3;
const VERSION_WITHOUT_RECORDS = 2;

interface JournalTag {
  v: number;
  prior: "running" | "stopped";
  from: NestedVirtSetting;
  to: NestedVirtSetting;
  at: string;
  /** v2: the run holding the lease, its end, and how long a stalled instance means the run is gone. */
  run?: string;
  until?: string;
  stall?: number;
  /** v3: the Auto Scaling group the instance was put in Standby in. */
  asg?: string;
  /** v3: the cycle lifts stop protection (disableApiStop); finishing it turns the protection on again. */
  lift?: boolean;
}

export function encodeJournal(journal: CycleJournal): string {
  const tag: JournalTag = {
    v: journal.standbyGroup || journal.stopProtectionLifted ? CURRENT_VERSION : VERSION_WITHOUT_RECORDS,
    prior: journal.priorState,
    from: journal.from,
    to: journal.to,
    at: journal.startedAt,
    ...(journal.runToken ? { run: journal.runToken } : {}),
    ...(journal.leaseUntil ? { until: journal.leaseUntil } : {}),
    ...(journal.stallMs !== undefined ? { stall: journal.stallMs } : {}),
    ...(journal.standbyGroup ? { asg: journal.standbyGroup } : {}),
    ...(journal.stopProtectionLifted ? { lift: true } : {}),
  };
  return JSON.stringify(tag);
}

const isSetting = (v: unknown): v is NestedVirtSetting => v === "enabled" || v === "disabled";

/** A journal tag, or why it cannot be read. Never a guess: an unreadable journal blocks the run. */
export type DecodedJournal = { journal: CycleJournal } | { problem: string };

export function decodeJournal(value: string): DecodedJournal {
  let tag: Partial<JournalTag>;
  try {
    tag = JSON.parse(value) as Partial<JournalTag>;
  } catch {
    return { problem: "it is not JSON" };
  }
  if (typeof tag !== "object" || tag === null) return { problem: "it is not a JSON object" };
  if (typeof tag.v === "number" && tag.v > CURRENT_VERSION) {
    return {
      problem: `it was written by a newer nestedvirt (journal version ${tag.v}; this one reads up to ${CURRENT_VERSION})`,
    };
  }
  if (tag.v !== 1 && tag.v !== 2 && tag.v !== 3) return { problem: `its version ${JSON.stringify(tag.v)} is unknown` };
  if ((tag.prior !== "running" && tag.prior !== "stopped") || !isSetting(tag.from) || !isSetting(tag.to)) {
    return { problem: "its prior state or settings are missing or invalid" };
  }
  return {
    journal: {
      priorState: tag.prior,
      from: tag.from,
      to: tag.to,
      startedAt: typeof tag.at === "string" ? tag.at : "",
      ...(typeof tag.run === "string" ? { runToken: tag.run } : {}),
      ...(typeof tag.until === "string" ? { leaseUntil: tag.until } : {}),
      ...(typeof tag.stall === "number" ? { stallMs: tag.stall } : {}),
      ...(typeof tag.asg === "string" && tag.asg !== "" ? { standbyGroup: tag.asg } : {}),
      ...(tag.lift === true ? { stopProtectionLifted: true } : {}),
    },
  };
}

/** True while the run that wrote the journal may still be working on the instance. */
export function isLeaseHeld(journal: CycleJournal, now: number): boolean {
  const until = journal.leaseUntil ? Date.parse(journal.leaseUntil) : Number.NaN;
  return journal.runToken !== undefined && Number.isFinite(until) && now < until;
}
