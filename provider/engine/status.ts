import type { Instance } from "@aws-sdk/client-ec2";
import type { InstanceStateName } from "./types";

export type InstanceStatus = InstanceStateName | "not-found";

/** The lifecycle state in one DescribeInstances answer; "not-found" when EC2 did not return the instance. */
export function instanceStatusOf(instance: Instance | undefined): InstanceStatus {
  return (instance?.State?.Name as InstanceStateName | undefined) ?? "not-found";
}
