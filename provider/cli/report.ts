import type { CycleTimings } from "../engine/types";
import type { ExitCode } from "./exit";

/**
 * The `--output json` document: one per run, written to stdout when the run ends. Field names are
 * stable (docs/cli/output.schema.json describes them); every field is always present, `null` when
 * it does not apply, so consumers need no existence checks.
 */
export const REPORT_SCHEMA_VERSION = 1;

export type CommandName = "status" | "plan" | "apply" | "recover";

export type Outcome = "done" | "failed" | "blocked" | "declined" | "interrupted" | "usage-error";

/** What the run does (plan) or did (apply, recover) to one instance. */
export type InstanceAction =
  /** Nothing to do: the instance has the setting and no journal. */
  | "none"
  /** Stop, modify, start: the instance is out of service for a while. */
  | "cycle"
  /** Stopped instance: modified and left stopped, no downtime. */
  | "modify"
  /** An interrupted cycle's journal: finish it (or put the instance back as it was). */
  | "resume"
  /** Another run's live cycle has the same target: wait for it. */
  | "wait-for-other-run"
  /** Blockers: the instance is not touched. */
  | "blocked";

export type InstanceResult =
  | "unchanged"
  | "changed"
  | "recovered"
  | "blocked"
  | "failed"
  /** Not stopped because the run was interrupted before its turn. */
  | "cancelled"
  /** Not stopped because another cycle of the run failed first. */
  | "halted";

export interface Finding {
  code: string;
  message: string;
}

export interface CycleInFlight {
  from: string;
  to: string;
  priorState: string;
  startedAt: string;
  /** The run that wrote the journal (a token per process), when the journal names one. */
  runToken: string | null;
  leaseUntil: string | null;
  /** True while that run may still be working on the instance; false: an interrupted cycle. */
  live: boolean;
}

export interface InstanceReport {
  instanceId: string;
  instanceType: string | null;
  /** The state EC2 last reported to this run. */
  state: string | null;
  nestedVirtualization: string | null;
  /** Whether the instance type supports nested virtualization; null when the instance was not found. */
  supported: boolean | null;
  autoScalingGroup: string | null;
  action: InstanceAction;
  /** Set by apply and recover; null for status and plan. */
  result: InstanceResult | null;
  steps: string[];
  warnings: Finding[];
  blockers: Finding[];
  cycleInFlight: CycleInFlight | null;
  error: Finding | null;
  lastCycle: CycleTimings | null;
}

export interface Disruption {
  /** Instances the run stops (or stopped). */
  instancesStopped: number;
  maxUnavailable: number;
  waves: number;
  /** Upper bound of one wave's downtime from the timeouts: stop + start (+ healthy with the gate). */
  downtimePerWaveAtMostSeconds: number;
  /** apply and recover: the downtime the run's finished cycles measured; null before any (and for plan). */
  observed: ObservedDowntime | null;
}

export interface ObservedDowntime {
  /** Cycles that stopped and started an instance. */
  cycles: number;
  medianDowntimeSeconds: number;
  maxDowntimeSeconds: number;
}

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  command: CommandName;
  region: string | null;
  outcome: Outcome;
  exitCode: ExitCode;
  /** The setting asked for; null for recover (each journal names its own) and on usage errors. */
  nestedVirtualization: string | null;
  instances: InstanceReport[];
  disruption: Disruption | null;
  /** Interrupted runs: when the interrupt came (ISO 8601). */
  interruptedAt: string | null;
  /** Usage errors: what was wrong. */
  error: { message: string } | null;
}
