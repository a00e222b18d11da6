import type { Ec2Gateway } from "./gateway";
import type { InstanceStateName } from "./types";

export type InstanceStatus = InstanceStateName | "not-found";

/** The instance's current lifecycle state, as one DescribeInstances call sees it. */
export async function statusInstanceState(gateway: Ec2Gateway, instanceId: string): Promise<InstanceStatus> {
  const instance = await gateway.describeInstance(instanceId);
  return (instance?.State?.Name as InstanceStateName | undefined) ?? "not-found";
}

/** A status check's value (`InstanceStatus.Status`, `SystemStatus.Status`). */
export type CheckStatus = "ok" | "impaired" | "initializing" | "insufficient-data" | "not-applicable";

export interface InstanceChecks {
  state: InstanceStatus;
  instance: CheckStatus;
  system: CheckStatus;
}

/** The instance's run state and both status checks, as one DescribeInstanceStatus call sees them. */
export async function statusInstanceChecks(gateway: Ec2Gateway, instanceId: string): Promise<InstanceChecks> {
  const status = await gateway.describeInstanceStatus(instanceId);
  return {
    state: (status?.InstanceState?.Name as InstanceStateName | undefined) ?? "not-found",
    instance: (status?.InstanceStatus?.Status as CheckStatus | undefined) ?? "insufficient-data",
    system: (status?.SystemStatus?.Status as CheckStatus | undefined) ?? "insufficient-data",
  };
}

/** The lifecycle state and EC2's StateReason message (why it is there, e.g. a failed start). */
export async function statusInstanceStateReason(
  gateway: Ec2Gateway,
  instanceId: string,
): Promise<{ state: InstanceStatus; reason?: string }> {
  const instance = await gateway.describeInstance(instanceId);
  const state = (instance?.State?.Name as InstanceStateName | undefined) ?? "not-found";
  const reason = instance?.StateReason?.Message;
  return reason ? { state, reason } : { state };
}
