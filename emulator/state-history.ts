// Every state an instance has been in, with the emulator-clock time it got there. A lazily
// completed transition is stamped with the time it completed, not the time a read noticed it,
// so the history answers "how many instances were down at once" exactly.

import type { InstanceStateName } from "./instances";

export interface StateChange {
  /** Emulator clock, ms since the epoch. */
  at: number;
  state: InstanceStateName;
}

/** Instance ID → its state changes, oldest first (the first entry is the seeded state). */
export type StateHistory = Record<string, StateChange[]>;

export class StateHistoryLog {
  private readonly changes = new Map<string, StateChange[]>();

  /** Appends a change; a repeat of the current state is not a change. */
  record(instanceId: string, state: InstanceStateName, at: number): void {
    const list = this.changes.get(instanceId) ?? [];
    if (list.at(-1)?.state === state) return;
    list.push({ at, state });
    this.changes.set(instanceId, list);
  }

  /** A copy of the history, of every instance or of the given ones (unknown IDs are absent). */
  history(instanceIds?: readonly string[]): StateHistory {
    const ids = instanceIds ?? [...this.changes.keys()];
    const history: StateHistory = {};
    for (const id of ids) {
      const list = this.changes.get(id);
      if (list) history[id] = list.map((change) => ({ ...change }));
    }
    return history;
  }
}

export interface NotRunningWindow {
  /** Only these instances (default: every instance in the history). */
  instanceIds?: readonly string[];
  /** Start of the window (ms, emulator clock); instances count with the state they had then. */
  from?: number;
  /** End of the window (ms, emulator clock), inclusive. */
  to?: number;
}

/**
 * The largest number of the instances that were not `running` at the same moment. Changes that
 * happen at the same millisecond count together: an instance that comes back at the moment
 * another one goes down does not make both count as down.
 */
export function mostNotRunningAtOnce(history: StateHistory, window: NotRunningWindow = {}): number {
  const from = window.from ?? Number.NEGATIVE_INFINITY;
  const to = window.to ?? Number.POSITIVE_INFINITY;
  const events: { at: number; instanceId: string; down: boolean }[] = [];
  for (const instanceId of window.instanceIds ?? Object.keys(history)) {
    for (const change of history[instanceId] ?? []) {
      if (change.at > to) break;
      events.push({ at: Math.max(change.at, from), instanceId, down: change.state !== "running" });
    }
  }
  events.sort((a, b) => a.at - b.at);
  const down = new Set<string>();
  let most = 0;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    if (event.down) down.add(event.instanceId);
    else down.delete(event.instanceId);
    const lastAtThisTime = i + 1 === events.length || events[i + 1].at !== event.at;
    if (lastAtThisTime) most = Math.max(most, down.size);
  }
  return most;
}
