import type { Ec2Gateway } from "./gateway";
import type { InstanceStateName } from "./types";

export type InstanceStatus = InstanceStateName | "not-found";

/** The instance's current lifecycle state, as one DescribeInstances call sees it. */
export async function statusInstanceState(gateway: Ec2Gateway, instanceId: string): Promise<InstanceStatus> {
  const instance = await gateway.describeInstance(instanceId);
  return (instance?.State?.Name as InstanceStateName | undefined) ?? "not-found";
}
