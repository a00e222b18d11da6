import type { Instance } from "@aws-sdk/client-ec2";
import type { SlotLeases } from "../group-slots";
import type { RolloutSettings } from "../rollout";
import type { StandbyCycle } from "../standby";
import type { CycleTimings, StepKind } from "../types";
import type { JournalCohort } from "./journal-cohort";

export interface CycleOptions {
  stopTimeoutSeconds: number;
  startTimeoutSeconds: number;
  /** Bound of the status-check wait (a plan with a `wait-healthy` step). */
  healthyTimeoutSeconds: number;
  /** The instance's rollout group, if any: its slot is held from the stop until running (and healthy). */
  rollout?: RolloutSettings;
  /**
   * With a rollout group: the slot leases of this run on the connection. The claim then also tags
   * the instance with its group and a slot lease, and stops it only when the group, read across
   * the region after the claim, has room for it (the bound holds across runs).
   */
  slotLeases?: SlotLeases;
  pollIntervalMs: number;
  log: (line: string) => void;
  /**
   * This run's token, written into the journal: the lease it holds on the instance. One per run (its
   * Session; the engine lets one cycle at a time work on an instance), so journals written together agree.
   */
  runToken: string;
  /** The journal time shared by the cycles of this connection that start together. */
  journalCohort: JournalCohort;
  /**
   * How long the journal must stay ours after writing it before the instance is stopped; by default
   * three times the journal write's own round trip, within CLAIM_SETTLE_MS.
   */
  claimSettleMs?: number;
  /**
   * Told to stop: no StopInstances is issued after it fires. A cycle already past its stop is
   * finished up to the instance running again, so only the waits before the stop listen to it.
   */
  signal?: AbortSignal;
  /** Told as each step begins (a front end's progress display). */
  onStep?: (step: StepKind) => void;
  /** The instance's trip through Standby, for a plan with standby steps (`autoScaling = "standby"`). */
  standby?: StandbyCycle;
  /** The check inside the guest (a plan with a `verify-guest` step, see guest-check.ts). */
  verifyGuest?: () => Promise<void>;
}

/** What the cycle did, for the resource's outputs. */
export interface CycleResult {
  timings?: CycleTimings;
  /** The instance as the wait that found it running again saw it: a read after the cycle. */
  runningAgain?: Instance;
}
