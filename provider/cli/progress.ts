import type { ProgressPhase } from "../engine/engine";
import type { InstanceResult } from "./report";

/**
 * The state EC2 last reported to this run when a phase begins: StopInstances and StartInstances
 * answer `stopping` and `pending`; a wait's end is the state it waited for. Phases that learn
 * nothing keep the state known before.
 */
const runningAfterWait = (before: string) => (before === "pending" ? "running" : before);
const STATE_AT_PHASE: Partial<Record<ProgressPhase, (before: string) => string>> = {
  "wait-stopped": () => "stopping",
  modify: () => "stopped",
  "wait-running": () => "pending",
  // The phases that may follow the wait for running (stop protection, the guest, the standby's end).
  "restore-stop-protection": runningAfterWait,
  "verify-guest": runningAfterWait,
  "exit-standby": runningAfterWait,
  "clear-journal": runningAfterWait,
  "wait-healthy": () => "running",
};

export interface InstanceProgress {
  instanceId: string;
  state: string;
  phase: ProgressPhase | "queued";
  /** When its first phase began (epoch ms). */
  startedAt?: number;
  /** When its current phase began (epoch ms). */
  phaseSince?: number;
  /** Time spent waiting for a rollout slot, ms (so far, while still waiting). */
  slotWaitMs: number;
  result?: InstanceResult;
  endedAt?: number;
  /** The plan stops this instance (it counts in the rollout's waves). */
  stops: boolean;
  /** Seconds out of service in the cycle it finished (the engine's `downtimeSeconds`). */
  downtimeSeconds?: number;
}

/** What the cycles finished so far say about the rest of the run. */
export interface RunEstimate {
  /** Cycles that stopped and started an instance and finished. */
  cyclesObserved: number;
  /** Their median time out of service. */
  medianDowntimeMs: number;
  /** Waves of --max-unavailable still to run, counting the one under way. */
  wavesLeft: number;
  /** wavesLeft × the median: about how long the rest of the rollout keeps instances down. */
  remainingMs: number;
}

/** Per-instance progress of a run, fed by the engine's progress hook. */
export class ProgressBoard {
  readonly rows: InstanceProgress[];
  private readonly byId = new Map<string, InstanceProgress>();
  private readonly listeners: ((row: InstanceProgress) => void)[] = [];

  constructor(
    instances: readonly { instanceId: string; state: string; stops: boolean }[],
    private readonly maxUnavailable = Number.POSITIVE_INFINITY,
  ) {
    this.rows = instances.map((i) => ({
      instanceId: i.instanceId,
      state: i.state,
      phase: "queued",
      slotWaitMs: 0,
      stops: i.stops,
    }));
    for (const row of this.rows) this.byId.set(row.instanceId, row);
  }

  onChange(listener: (row: InstanceProgress) => void): void {
    this.listeners.push(listener);
  }

  phase(instanceId: string, phase: ProgressPhase, now = Date.now()): void {
    const row = this.byId.get(instanceId);
    if (!row) return;
    if (row.phase === "acquire-slot" && row.phaseSince !== undefined) row.slotWaitMs += now - row.phaseSince;
    row.startedAt ??= now;
    row.phase = phase;
    row.phaseSince = now;
    row.state = STATE_AT_PHASE[phase]?.(row.state) ?? row.state;
    this.emit(row);
  }

  finish(
    instanceId: string,
    result: InstanceResult,
    state: string | null,
    now = Date.now(),
    downtimeSeconds?: number,
  ): void {
    const row = this.byId.get(instanceId);
    if (!row) return;
    if (downtimeSeconds !== undefined && downtimeSeconds > 0) row.downtimeSeconds = downtimeSeconds;
    if (row.phase === "acquire-slot" && row.phaseSince !== undefined) row.slotWaitMs += now - row.phaseSince;
    row.result = result;
    row.endedAt = now;
    if (state !== null) row.state = state;
    this.emit(row);
  }

  /** Slot wait so far, counting a wait still under way. */
  slotWaitMs(row: InstanceProgress, now = Date.now()): number {
    const current = row.phase === "acquire-slot" && !row.result && row.phaseSince !== undefined;
    return row.slotWaitMs + (current ? now - (row.phaseSince ?? now) : 0);
  }

  /**
   * The rest of the rollout from the downtimes observed so far; undefined before the first cycle
   * that stopped an instance finishes. The plan's figure is only the timeouts' bound.
   */
  estimate(): RunEstimate | undefined {
    const observed = this.rows.map((r) => r.downtimeSeconds).filter((d): d is number => d !== undefined);
    if (observed.length === 0) return undefined;
    const median = medianOf(observed);
    const stopsLeft = this.rows.filter((r) => r.stops && !r.result).length;
    const wavesLeft = Math.ceil(stopsLeft / this.maxUnavailable);
    return {
      cyclesObserved: observed.length,
      medianDowntimeMs: median * 1000,
      wavesLeft,
      remainingMs: wavesLeft * median * 1000,
    };
  }

  private emit(row: InstanceProgress): void {
    for (const listener of this.listeners) listener(row);
  }
}

/** The median of some values (the mean of the middle two for an even count). */
export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
