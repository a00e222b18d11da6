// Shared pieces of `npm run bench`: the SDK environment, the desired state of a fleet member,
// call counting from the emulator's log, and small statistics.

import type { CallRecord } from "../../emulator";
import type { DesiredState } from "../../provider/engine";

process.env.AWS_ACCESS_KEY_ID ??= "AKIDEMULATOR";
process.env.AWS_SECRET_ACCESS_KEY ??= "emulator-secret";
process.env.AWS_REGION ??= "us-east-1";
process.env.AWS_EC2_METADATA_DISABLED = "true";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

export const CREDENTIALS = { accessKeyId: "AKIDEMULATOR", secretAccessKey: "emulator-secret" };

export function desiredFor(instanceId: string): DesiredState {
  return {
    instanceId,
    nestedVirtualization: "enabled",
    allowAutoScalingGroupMember: false,
    autoScaling: "refuse",
    stopProtection: "refuse",
    onDelete: "keep",
    timeouts: { stopSeconds: 900, startSeconds: 900, healthySeconds: 900 },
    waitForStatusChecks: false,
    verifyInGuest: false,
    maxUnavailable: 1,
  };
}

export interface CallCounts {
  /** Every request, DryRun and refused ones included. */
  total: number;
  byAction: Record<string, number>;
  throttled: number;
}

/** Counts the logged calls, optionally only those naming one of `instanceIds`. */
export function countCalls(calls: readonly CallRecord[], instanceIds?: ReadonlySet<string>): CallCounts {
  const byAction: Record<string, number> = {};
  let total = 0;
  let throttled = 0;
  for (const call of calls) {
    if (instanceIds && !call.instanceIds.some((id) => instanceIds.has(id))) continue;
    total++;
    if (call.errorCode === "RequestLimitExceeded") throttled++;
    const key = call.dryRun ? `${call.action} (DryRun)` : call.action;
    byAction[key] = (byAction[key] ?? 0) + 1;
  }
  return { total, byAction, throttled };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function seconds(ms: number, digits = 2): string {
  return (ms / 1000).toFixed(digits);
}

export function progress(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}
