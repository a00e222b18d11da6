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
 * action it needs, and, when it will stop the instance and `readStopProtection` is set, the
 * `disableApiStop` attribute. Nothing found here can strand an instance half-way, because nothing
 * has been changed yet.
 *
 * The attribute is read for previews and plans, where it is the only way to know. An apply does
 * not read it again (one DescribeInstanceAttribute per instance, which EC2 cannot batch): there
 * EC2's refusal of StopInstances says the same, before anything has stopped.
 */
export async function preflightCycle(
  gateway: Ec2Gateway,
  instanceId: string,
  actions: readonly MutatingAction[],
  options: { readStopProtection: boolean },
): Promise<PreflightFindings> {
  const stops = options.readStopProtection && actions.includes("StopInstances");
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
