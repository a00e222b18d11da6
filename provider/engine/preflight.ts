import { awsErrorCode, describeError } from "./errors";
import type { Ec2Gateway, MutatingAction } from "./gateway";

/** What the preflight learned: actions EC2 would refuse, and whether stop protection is on. */
export interface PreflightFindings {
  /** Actions the caller may not call (a DryRun, or the attribute read, was refused). */
  deniedActions: string[];
  /** Calls the endpoint cannot perform, with what it answered (neither permitted nor an IAM denial). */
  unperformable: UnperformableCall[];
  /** The instance has `disableApiStop`: StopInstances would fail with OperationNotPermitted. */
  stopProtected: boolean;
}

export interface UnperformableCall {
  action: string;
  /** What came back, in words (describeError): EC2's code and HTTP status, or what the body was. */
  answer: string;
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
    Promise.all(actions.map((action) => gateway.dryRunVerdict(action, instanceId))),
    stops ? readStopProtection(gateway, instanceId) : Promise.resolve<StopProtection>({ state: "off" }),
  ]);
  const deniedActions: string[] = actions.filter((_, index) => verdicts[index]?.verdict === "denied");
  const unperformable: UnperformableCall[] = actions.flatMap((action, index) => {
    const verdict = verdicts[index];
    return verdict?.verdict === "cannot-perform" ? [{ action, answer: verdict.answer }] : [];
  });
  if (protection.state === "unreadable") deniedActions.unshift("DescribeInstanceAttribute");
  if (protection.state === "unanswered")
    unperformable.unshift({ action: "DescribeInstanceAttribute", answer: protection.answer });
  return { deniedActions, unperformable, stopProtected: protection.state === "on" };
}

type StopProtection = { state: "on" | "off" | "unreadable" } | { state: "unanswered"; answer: string };

async function readStopProtection(gateway: Ec2Gateway, instanceId: string): Promise<StopProtection> {
  try {
    return { state: (await gateway.isStopProtected(instanceId)) ? "on" : "off" };
  } catch (error) {
    if (awsErrorCode(error) === "UnauthorizedOperation") return { state: "unreadable" };
    // Retried by the SDK already: the endpoint cannot tell, so the cycle cannot be judged safe.
    return { state: "unanswered", answer: describeError(error) };
  }
}
