import type { Instance } from "@aws-sdk/client-ec2";
import type { RolloutSlot } from "../rollout";
import type { StepKind } from "../types";
import type { RecoveryKind } from "./recovery";

/** Forward steps come from the plan; recovery steps from planRecovery. */
export type Phase = "forward" | "recovery";

/** One thing the cycle did (or began, or failed at), in the order it happened. */
export type CycleEntry =
  | { kind: "began"; phase: Phase; step: StepKind | RecoveryKind }
  | { kind: "done"; phase: Phase; step: StepKind | RecoveryKind; at: number; detail?: string }
  | { kind: "failed"; phase: Phase; step: StepKind | RecoveryKind; error: unknown; aborted: boolean }
  /** The journal value this run answers for from now on: the one it wrote, a released lease, or none. */
  | { kind: "journal"; tag: string | undefined }
  /** This cycle's group and slot tags went on the instance (`on`), or came off it. */
  | { kind: "slot-tags"; on: boolean }
  /** The slot of the rollout group in this process, when the plan has one. */
  | { kind: "rollout-slot"; slot: RolloutSlot | undefined }
  /** The instance went down between the plan and the claim: another run whose journal was overwritten stopped it. */
  | { kind: "stopped-by-other" }
  | { kind: "stop-sent"; at: number }
  /** Withdrawn before it went out, or refused by EC2: nothing was stopped. */
  | { kind: "stop-withdrawn" }
  | { kind: "stopped"; at: number }
  | { kind: "modified"; at: number }
  /** StartInstances accepted: a failure from here on is reported, not retried. */
  | { kind: "start-sent" }
  | { kind: "running"; at: number | undefined; instance: Instance | undefined }
  | { kind: "healthy"; at: number }
  | { kind: "guest-verified"; at: number };

/** What the record starts from: the plan's steps and the journal values around the claim. */
export interface RecordHeader {
  kinds: readonly StepKind[];
  /** The journal this run writes when it claims the instance. */
  ourTag: string;
  /** The journal tag found on the instance (a resumed cycle's), exactly as read. */
  foundTag: string | undefined;
  /** When a resumed cycle's instance went down (epoch ms): the earlier run's stop. */
  resumedDownSince: number | undefined;
  /** The rollout group of the instance in this process, if any. */
  rolloutGroup: string | undefined;
}

/**
 * What a cycle has done so far, appended to by every step, forward or recovery. Recovery is planned
 * from it (planRecovery); the views below read it, the latest entry of a kind winning.
 */
export class CycleRecord {
  private readonly log: CycleEntry[];

  constructor(
    readonly header: RecordHeader,
    entries: readonly CycleEntry[] = [],
  ) {
    this.log = [...entries];
  }

  get entries(): readonly CycleEntry[] {
    return this.log;
  }

  append(entry: CycleEntry): void {
    this.log.push(entry);
  }

  /** The forward step in progress, or the one that failed. */
  get current(): StepKind | undefined {
    return this.lastOf("began", (e) => e.phase === "forward")?.step as StepKind | undefined;
  }

  /** The forward step that failed, and whether the run was told to stop when it did. */
  get failure(): { step: StepKind; aborted: boolean } | undefined {
    const failed = this.lastOf("failed", (e) => e.phase === "forward");
    return failed && { step: failed.step as StepKind, aborted: failed.aborted };
  }

  began(phase: Phase, step: StepKind | RecoveryKind): boolean {
    return this.lastOf("began", (e) => e.phase === phase && e.step === step) !== undefined;
  }

  done(phase: Phase, step: StepKind | RecoveryKind): Extract<CycleEntry, { kind: "done" }> | undefined {
    return this.lastOf("done", (e) => e.phase === phase && e.step === step);
  }

  failedAt(phase: Phase, step: StepKind | RecoveryKind): Extract<CycleEntry, { kind: "failed" }> | undefined {
    return this.lastOf("failed", (e) => e.phase === phase && e.step === step);
  }

  /** The journal value this run answers for: the one it found (resuming) or the one it wrote. */
  get heldTag(): string | undefined {
    const entry = this.lastOf("journal");
    return entry ? entry.tag : this.header.foundTag;
  }

  get holdsOurJournal(): boolean {
    return this.heldTag === this.header.ourTag;
  }

  get slotTagged(): boolean {
    return this.lastOf("slot-tags")?.on ?? false;
  }

  get rolloutSlot(): RolloutSlot | undefined {
    return this.lastOf("rollout-slot")?.slot;
  }

  get stoppedByOther(): boolean {
    return this.lastOf("stopped-by-other") !== undefined;
  }

  /** A StopInstances went out (or may have): the instance is down because of this cycle. */
  get stopRequested(): boolean {
    const last = lastOf(this.log, (e) => e.kind === "stop-sent" || e.kind === "stop-withdrawn");
    return last?.kind === "stop-sent";
  }

  get startRequested(): boolean {
    return this.lastOf("start-sent") !== undefined;
  }

  /** Since when the instance is out of service because of this cycle (epoch ms). */
  get downSince(): number | undefined {
    return this.lastOf("stop-sent")?.at ?? this.header.resumedDownSince ?? this.lastOf("stopped")?.at;
  }

  get stoppedAt(): number | undefined {
    return this.lastOf("stopped")?.at;
  }

  get modifiedAt(): number | undefined {
    return this.lastOf("modified")?.at;
  }

  /** When the instance ran again after a start of this cycle. */
  get startedAt(): number | undefined {
    return this.lastOf("running")?.at;
  }

  get runningAgain(): Instance | undefined {
    return this.lastOf("running")?.instance;
  }

  get healthyAt(): number | undefined {
    return this.lastOf("healthy")?.at;
  }

  get guestVerifiedAt(): number | undefined {
    return this.lastOf("guest-verified")?.at;
  }

  private lastOf<K extends CycleEntry["kind"]>(
    kind: K,
    matches: (entry: Extract<CycleEntry, { kind: K }>) => boolean = () => true,
  ): Extract<CycleEntry, { kind: K }> | undefined {
    const found = lastOf(this.log, (e) => e.kind === kind && matches(e as Extract<CycleEntry, { kind: K }>));
    return found as Extract<CycleEntry, { kind: K }> | undefined;
  }
}

/** The latest entry that matches (the library targets ES2022, without Array.prototype.findLast). */
function lastOf(log: readonly CycleEntry[], matches: (entry: CycleEntry) => boolean): CycleEntry | undefined {
  for (let i = log.length - 1; i >= 0; i--) if (matches(log[i])) return log[i];
  return undefined;
}
