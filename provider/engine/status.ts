import type { InstanceStatus as Ec2InstanceStatus, Instance } from "@aws-sdk/client-ec2";
import type { InstanceStateName } from "./types";

export type InstanceStatus = InstanceStateName | "not-found";

/** The lifecycle state in one DescribeInstances answer; "not-found" when EC2 did not return the instance. */
export function instanceStatusOf(instance: Instance | undefined): InstanceStatus {
  return (instance?.State?.Name as InstanceStateName | undefined) ?? "not-found";
}

/** A status check's value (`InstanceStatus.Status`, `SystemStatus.Status`). */
export type CheckStatus = "ok" | "impaired" | "initializing" | "insufficient-data" | "not-applicable";

export interface InstanceChecks {
  state: InstanceStatus;
  instance: CheckStatus;
  system: CheckStatus;
}

/** The run state and both status checks in one DescribeInstanceStatus answer. */
export function instanceChecksOf(status: Ec2InstanceStatus | undefined): InstanceChecks {
  return {
    state: (status?.InstanceState?.Name as InstanceStateName | undefined) ?? "not-found",
    instance: (status?.InstanceStatus?.Status as CheckStatus | undefined) ?? "insufficient-data",
    system: (status?.SystemStatus?.Status as CheckStatus | undefined) ?? "insufficient-data",
  };
}
