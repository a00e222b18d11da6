import { awsErrorCode } from "./errors";
import type { Ec2Gateway, MutatingAction } from "./gateway";

/** What the preflight learned: actions EC2 would refuse, and whether stop protection is on. */
export interface PreflightFindings {
  /** Actions the caller may not call (a DryRun, or the attribute read, was refused). */
  deniedActions: string[];
  /** The instance has `disableApiStop`: StopInstances would fail with OperationNotPermitted. */
  stopProtected: boolean;
}

/**
 * Asks EC2, before the instance is stopped, whether the cycle can go through: a DryRun of each
 * action it needs, and, when it will stop the instance, the `disableApiStop` attribute. Nothing
 * found here can strand an instance half-way, because nothing has been changed yet.
 */
export async function preflightCycle(
  gateway: Ec2Gateway,
  instanceId: string,
  actions: readonly MutatingAction[],
): Promise<PreflightFindings> {
  const stops = actions.includes("StopInstances");
  const [verdicts, protection] = await Promise.all([
    Promise.all(actions.map((action) => gateway.isPermitted(action, instanceId))),
    stops ? readStopProtection(gateway, instanceId) : Promise.resolve<StopProtection>("off"),
  ]);
  const deniedActions: string[] = actions.filter((_, index) => !verdicts[index]);
  if (protection === "unreadable") deniedActions.unshift("DescribeInstanceAttribute");
  return { deniedActions, stopProtected: protection === "on" };
}

type StopProtection = "on" | "off" | "unreadable";

async function readStopProtection(gateway: Ec2Gateway, instanceId: string): Promise<StopProtection> {
  try {
    return (await gateway.isStopProtected(instanceId)) ? "on" : "off";
  } catch (error) {
    if (awsErrorCode(error) === "UnauthorizedOperation") return "unreadable";
    throw error;
  }
}
