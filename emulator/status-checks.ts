// EC2 status checks (DescribeInstanceStatus): after an instance enters "running" both checks are
// "initializing" for a while, then "ok" — or "impaired" on the check a test chose to fail.

import type { InstanceRecord } from "./instances";

/** Values of `InstanceStatus.Status` and `SystemStatus.Status`. */
export type CheckStatus = "ok" | "impaired" | "initializing" | "insufficient-data" | "not-applicable";

/** Which of the two checks a test makes fail: the instance's own, or AWS's system check. */
export type StatusCheckName = "instance" | "system";

export interface StatusCheckSettings {
  /** Time from entering "running" until the checks leave "initializing"; default: the emulator's. */
  statusCheckMs?: number;
  /** The check that ends "impaired" instead of "ok". */
  impairedCheck?: StatusCheckName;
}

export interface StatusChecks {
  instance: CheckStatus;
  system: CheckStatus;
}

/** The two checks of one instance at `now`; `runningSince` is when it last entered "running". */
export function statusChecksOf(
  record: Pick<InstanceRecord, "state" | "runningSince" | "statusChecks">,
  now: number,
  defaultStatusCheckMs: number,
): StatusChecks {
  if (record.state !== "running") return { instance: "not-applicable", system: "not-applicable" };
  const delay = record.statusChecks.statusCheckMs ?? defaultStatusCheckMs;
  if (now < record.runningSince + delay) return { instance: "initializing", system: "initializing" };
  const impaired = record.statusChecks.impairedCheck;
  return {
    instance: impaired === "instance" ? "impaired" : "ok",
    system: impaired === "system" ? "impaired" : "ok",
  };
}

/** Values of `Details[].Status` (EC2's StatusType enum). */
export type DetailStatus = "passed" | "failed" | "insufficient-data" | "initializing";

/**
 * The `Details[].Status` EC2 reports for the `reachability` detail of a check; undefined for a
 * check that is `not-applicable` (an instance that is not running), which EC2 gives no details.
 */
export function detailStatusOf(status: CheckStatus): DetailStatus | undefined {
  switch (status) {
    case "ok":
      return "passed";
    case "impaired":
      return "failed";
    case "not-applicable":
      return undefined;
    default:
      return status;
  }
}
