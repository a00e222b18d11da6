import type { FailedCycle, NestedVirtSetting } from "./types";

/**
 * A cycle that stopped an instance and then failed at the modify leaves this tag behind (after
 * starting the instance again), so that the next run within FAILED_CYCLE_HOLD_MS does not stop the
 * instance a second time only to meet the same failure: it fails at plan time with the earlier error.
 */
export const FAILED_CYCLE_TAG_KEY = "nestedvirt:failed-cycle";

/** How long a failed cycle holds off another cycle to the same setting on the same instance. */
export const FAILED_CYCLE_HOLD_MS = 30 * 60_000;

/** Set to `true` (or `1`) to run a cycle again although the last one failed: the user asks again. */
export const RETRY_FAILED_CYCLE_ENV = "NESTEDVIRT_RETRY_FAILED_CYCLE";

/** EC2 tag values hold at most 256 characters. */
const MAX_TAG_VALUE = 256;

interface FailedCycleTag {
  v: 1;
  to: NestedVirtSetting;
  at: string;
  call: string;
  error: string;
}

/** The tag's value, the error shortened so that the whole value fits in an EC2 tag. */
export function encodeFailedCycle(failure: FailedCycle): string {
  const tag: FailedCycleTag = { v: 1, to: failure.to, at: failure.at, call: failure.call, error: "" };
  const room = MAX_TAG_VALUE - JSON.stringify(tag).length;
  let error = failure.error;
  while (JSON.stringify(error).length - 2 > room) error = `${error.slice(0, Math.max(0, error.length - 8))}…`;
  return JSON.stringify({ ...tag, error });
}

/** The failure the tag records; undefined when it cannot be read (then it holds nothing off). */
export function decodeFailedCycle(value: string | undefined): FailedCycle | undefined {
  if (value === undefined) return undefined;
  try {
    const tag = JSON.parse(value) as Partial<FailedCycleTag>;
    if (tag.v !== 1 || (tag.to !== "enabled" && tag.to !== "disabled")) return undefined;
    if (typeof tag.at !== "string" || !Number.isFinite(Date.parse(tag.at))) return undefined;
    return { to: tag.to, at: tag.at, call: String(tag.call ?? ""), error: String(tag.error ?? "") };
  } catch {
    return undefined;
  }
}

/** True while the failure holds off another cycle to `setting` (FAILED_CYCLE_HOLD_MS after it). */
export function holdsOff(failure: FailedCycle, setting: NestedVirtSetting, now: number): boolean {
  const at = Date.parse(failure.at);
  return failure.to === setting && now >= at - 60_000 && now < at + FAILED_CYCLE_HOLD_MS;
}

export function retryFailedCycleFromEnvironment(): boolean {
  return /^(1|true|yes)$/i.test(process.env[RETRY_FAILED_CYCLE_ENV] ?? "");
}
