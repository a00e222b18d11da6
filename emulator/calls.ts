// Log of every EC2 API request the emulator answered (including failures).

export interface CallRecord {
  seq: number;
  /** Emulator clock, ms since the epoch. */
  at: number;
  action: string;
  instanceIds: string[];
  dryRun: boolean;
  params: Record<string, string>;
  /** Set when the call failed (DryRunOperation counts as a failure code here, as in EC2). */
  errorCode?: string;
}

export const MUTATING_ACTIONS: readonly string[] = [
  "StopInstances",
  "StartInstances",
  "ModifyInstanceCpuOptions",
  "CreateTags",
  "DeleteTags",
  "ModifyInstanceAttribute",
  // Auto Scaling's, answered by the same endpoint.
  "EnterStandby",
  "ExitStandby",
  "CompleteLifecycleAction",
  // Systems Manager: runs a script inside the guest.
  "SendCommand",
];

export class CallLog {
  private readonly records: CallRecord[] = [];
  private nextSeq = 1;

  get calls(): readonly CallRecord[] {
    return this.records;
  }

  append(record: Omit<CallRecord, "seq">): CallRecord {
    const entry: CallRecord = { seq: this.nextSeq++, ...record };
    this.records.push(entry);
    return entry;
  }

  /** Non-DryRun calls that could change state, in order, failed ones included. */
  mutatingCalls(): CallRecord[] {
    return this.records.filter((call) => !call.dryRun && MUTATING_ACTIONS.includes(call.action));
  }

  callCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const call of this.records) counts[call.action] = (counts[call.action] ?? 0) + 1;
    return counts;
  }

  reset(): void {
    this.records.length = 0;
  }
}
