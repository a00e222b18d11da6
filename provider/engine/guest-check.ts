import type { GetCommandInvocationCommandOutput, InstanceInformation } from "@aws-sdk/client-ssm";
import { awsErrorCode, describeError, NestedVirtError } from "./errors";
import { RETRY, type Verdict } from "./poller";
import type { SsmGateway } from "./ssm-gateway";
import type { InstanceFacts, PlanBlocker } from "./types";

/**
 * Proof inside the guest (verifyInGuest): after the start (and the health gate), a Run Command
 * document asks the guest itself whether it can run a hypervisor. EC2's CPU option says what the
 * host offers; only the guest can say whether its kernel (or Windows) makes use of it.
 */

/** Linux: /dev/kvm exists and the CPU flags show vmx. The last line's status is the command's. */
export const LINUX_CHECK = {
  document: "AWS-RunShellScript",
  commands: [
    'if [ -e /dev/kvm ]; then echo "/dev/kvm: present"; else echo "/dev/kvm: missing"; fi',
    'if grep -qw vmx /proc/cpuinfo; then echo "cpu flag vmx: present"; else echo "cpu flag vmx: missing"; fi',
    "[ -e /dev/kvm ] && grep -qw vmx /proc/cpuinfo",
  ],
} as const;

/** Windows: the processor reports virtualization firmware enabled. */
export const WINDOWS_CHECK = {
  document: "AWS-RunPowerShellScript",
  commands: [
    "$enabled = (Get-CimInstance -ClassName Win32_Processor | Select-Object -First 1).VirtualizationFirmwareEnabled",
    'Write-Output "VirtualizationFirmwareEnabled: $enabled"',
    "if (-not $enabled) { exit 1 }",
  ],
} as const;

export function checkFor(platform: InstanceFacts["platform"]): { document: string; commands: readonly string[] } {
  return platform === "windows" ? WINDOWS_CHECK : LINUX_CHECK;
}

/** Run Command statuses after which an invocation changes no more. */
const TERMINAL = new Set(["Success", "Failed", "Cancelled", "TimedOut"]);

/** The check did not hold, or could not run; the instance is running with the CPU option applied. */
export class GuestCheckFailedError extends NestedVirtError {
  constructor(
    instanceId: string,
    message: string,
    /** What the command printed (stdout, then stderr), when it ran. */
    readonly output?: string,
  ) {
    super("GuestCheckFailed", message, instanceId);
  }
}

export interface GuestProof {
  commandId: string;
  output: string;
}

export interface GuestCheckOptions {
  timeoutSeconds: number;
  pollIntervalMs: number;
  /** The run was told to stop: the check ends at once (the instance is already running). */
  signal?: AbortSignal;
}

/**
 * Waits for the instance's agent to be online, sends the platform's check and waits for its
 * invocation to reach a terminal status (both waits on the SSM gateway's pollers), all within
 * `timeoutSeconds`. Resolves with the output when the guest can run a hypervisor; otherwise throws
 * GuestCheckFailedError naming the instance and output.
 */
export async function verifyInGuest(
  ssm: SsmGateway,
  facts: Pick<InstanceFacts, "instanceId" | "platform">,
  options: GuestCheckOptions,
): Promise<GuestProof> {
  const id = facts.instanceId;
  const check = checkFor(facts.platform);
  const span: CheckSpan = {
    id,
    deadline: Date.now() + options.timeoutSeconds * 1000,
    within: `within timeouts.healthy (${options.timeoutSeconds}s)`,
    options,
  };
  const commandId = await sendWhenAgentOnline(ssm, span, check);
  const invocation = await waitUntilFinished(ssm, span, commandId, check.document);
  const output = outputOf(invocation);
  if (invocation.Status === "Success") return { commandId, output };
  throw new GuestCheckFailedError(
    id,
    `Instance ${id} is running with NestedVirtualization=enabled, but the check inside the guest failed (SSM command ${commandId}, ${check.document}: ${invocation.Status}, exit code ${invocation.ResponseCode ?? "unknown"}). The guest says:\n${indent(output || "(no output)")}\n${adviceFor(facts.platform, output)} Nothing was undone: the instance keeps running with the new CPU option; fix the guest, then run again to check it.`,
    output,
  );
}

/** One check's instance, its time and how to say it in errors. */
interface CheckSpan {
  id: string;
  deadline: number;
  within: string;
  options: GuestCheckOptions;
}

/** The part of a poller wait that every wait of a check shares: its pace, its end, its stop signal. */
function waitOf(span: CheckSpan) {
  return {
    intervalMs: span.options.pollIntervalMs,
    timeoutMs: Math.max(0, span.deadline - Date.now()),
    signal: span.options.signal,
  };
}

/** A wait's error, unless the run was told to stop: then the guest is unproven, and says so. */
function unlessStopped(span: CheckSpan): (error: unknown) => never {
  return (error) => {
    if (!span.options.signal?.aborted) throw error;
    throw new GuestCheckFailedError(
      span.id,
      `Instance ${span.id} is running with NestedVirtualization=enabled; the run was told to stop before the in-guest check finished, so the guest is unproven. Run again to check it.`,
    );
  };
}

/**
 * Sends the check once the agent is online; returns the command's ID. A freshly started agent takes a
 * while to ping again and SendCommand refuses it until then: the agent is looked at right away (it
 * is usually online by now), then waited for on the agent poller, as often as SendCommand refuses.
 */
async function sendWhenAgentOnline(
  ssm: SsmGateway,
  span: CheckSpan,
  check: { document: string; commands: readonly string[] },
): Promise<string> {
  const { id } = span;
  let lastRefusal = "";
  let agent = await ssm.agent(id).catch((error: unknown) => {
    throw guestCallFailed(id, "DescribeInstanceInformation", error);
  });
  for (;;) {
    if (agent?.PingStatus === "Online") {
      try {
        return await ssm.sendCommand(id, check.document, check.commands, span.options.timeoutSeconds);
      } catch (error) {
        if (awsErrorCode(error) !== "InvalidInstanceId") throw guestCallFailed(id, "SendCommand", error);
        lastRefusal = describeError(error);
      }
    }
    const before = agent;
    agent = await ssm.agentPoller
      .wait({
        ...waitOf(span),
        key: id,
        kind: "guest-agent-online",
        acceptor: (observed): Verdict<InstanceInformation> => {
          if (observed && "failed" in observed) {
            return { state: "failure", error: guestCallFailed(id, "DescribeInstanceInformation", observed.failed) };
          }
          const found = observed?.found;
          return found?.PingStatus === "Online" ? { state: "success", result: found } : RETRY;
        },
        onTimeout: (last) => {
          const seen = last && "found" in last ? last.found : before;
          const said = seen ? `its agent is ${seen.PingStatus ?? "in an unknown state"}` : "SSM lists no agent for it";
          return new GuestCheckFailedError(
            id,
            `Instance ${id} is running with NestedVirtualization=enabled, but the in-guest check could not be sent ${span.within}: ${said}${lastRefusal ? ` (SendCommand: ${lastRefusal})` : ""}. Make sure the SSM agent runs and the instance profile allows it (AmazonSSMManagedInstanceCore), or raise timeouts.healthy; then run again to check.`,
          );
        },
      })
      .catch(unlessStopped(span));
  }
}

/** Waits on the invocation poller until the command's invocation on the instance has a terminal status. */
function waitUntilFinished(
  ssm: SsmGateway,
  span: CheckSpan,
  commandId: string,
  document: string,
): Promise<GetCommandInvocationCommandOutput> {
  const { id } = span;
  return ssm.invocationPoller
    .wait({
      ...waitOf(span),
      key: ssm.invocationKey(commandId, id),
      kind: "guest-check-finished",
      acceptor: (observed): Verdict<GetCommandInvocationCommandOutput> => {
        if (observed && "failed" in observed) {
          return { state: "failure", error: guestCallFailed(id, "GetCommandInvocation", observed.failed) };
        }
        const found = observed?.found;
        return found?.Status && TERMINAL.has(found.Status) ? { state: "success", result: found } : RETRY;
      },
      onTimeout: (last) => {
        const status = last && "found" in last ? last.found?.Status : undefined;
        return new GuestCheckFailedError(
          id,
          `Instance ${id} is running with NestedVirtualization=enabled, but the in-guest check (SSM command ${commandId}, ${document}) did not finish ${span.within}; it is ${status ?? "not yet known to SSM"}. Raise timeouts.healthy, or look at the command in the Systems Manager console; then run again to check.`,
        );
      },
    })
    .catch(unlessStopped(span));
}

/** What the output says is wrong, and what to do about it. */
function adviceFor(platform: InstanceFacts["platform"], output: string): string {
  if (platform === "windows") {
    return "Windows does not report virtualization firmware enabled. If Hyper-V is already installed, Windows hides the flag from Win32_Processor (`systeminfo` then says a hypervisor has been detected); otherwise check that the instance type supports nested virtualization and that the instance was started after the change.";
  }
  const vmx = /cpu flag vmx: present/.test(output);
  const kvm = /\/dev\/kvm: present/.test(output);
  if (vmx && !kvm) {
    return "The CPU setting is in effect (the guest sees vmx) but /dev/kvm is missing: the guest kernel lacks the kvm modules or has not loaded them. Load them (`sudo modprobe kvm_intel`) or install your distribution's KVM kernel modules, and check that nothing blacklists them.";
  }
  if (!vmx) {
    return "The guest does not see the vmx CPU flag although EC2 reports NestedVirtualization=enabled: check that the instance type supports nested virtualization and that the guest kernel does not hide vmx (e.g. a `nokvm`-style boot option).";
  }
  return "Look at the command's output in the Systems Manager console.";
}

function outputOf(invocation: GetCommandInvocationCommandOutput): string {
  return [invocation.StandardOutputContent, invocation.StandardErrorContent]
    .map((text) => (text ?? "").trim())
    .filter((text) => text !== "")
    .join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}

function guestCallFailed(id: string, call: string, error: unknown): GuestCheckFailedError {
  const denied = awsErrorCode(error) === "AccessDeniedException";
  const advice = denied
    ? `Grant ssm:${call} (see the IAM policy in the README), or set verifyInGuest to false.`
    : "Check the Systems Manager endpoint (AWS_ENDPOINT_URL_SSM) and run again.";
  return new GuestCheckFailedError(
    id,
    `Instance ${id} is running with NestedVirtualization=enabled, but the in-guest check failed: ssm:${call} failed: ${describeError(error)}. ${advice}`,
  );
}

/**
 * Whether the in-guest check can run on the instance, asked at preview/plan and before the stop:
 * a managed SSM agent must be registered, and online while the instance runs. This real
 * DescribeInstanceInformation also proves the caller may call it (SSM has no DryRun).
 */
export async function guestAgentBlockers(ssm: SsmGateway, facts: InstanceFacts): Promise<PlanBlocker[]> {
  const id = facts.instanceId;
  let agent: InstanceInformation | undefined;
  try {
    agent = await ssm.agent(id);
  } catch (error) {
    const denied = awsErrorCode(error) === "AccessDeniedException";
    return [
      {
        code: denied ? "missing-permission" : "endpoint-cannot-cycle",
        attribute: "verifyInGuest",
        message: denied
          ? `The caller may not call ssm:DescribeInstanceInformation, which verifyInGuest needs to check the SSM agent of ${id} (SSM refused it with AccessDeniedException). Nothing was changed and ${id} was not stopped. Grant ssm:DescribeInstanceInformation, ssm:SendCommand and ssm:GetCommandInvocation (see the IAM policy in the README), or set verifyInGuest to false.`
          : `Systems Manager could not say whether ${id} has an SSM agent: DescribeInstanceInformation failed: ${describeError(error)}. Nothing was changed and ${id} was not stopped. Check the SSM endpoint (AWS_ENDPOINT_URL_SSM) and run again, or set verifyInGuest to false.`,
      },
    ];
  }
  const fix = `Install and start the SSM agent, give the instance a profile with the AmazonSSMManagedInstanceCore policy, and wait until \`aws ssm describe-instance-information --filters Key=InstanceIds,Values=${id}\` shows it Online; or set verifyInGuest to false.`;
  if (!agent) {
    return [
      {
        code: "no-ssm-agent",
        attribute: "verifyInGuest",
        message: `Instance ${id} has no managed SSM agent (DescribeInstanceInformation does not list it), so verifyInGuest cannot check nested virtualization inside the guest. Nothing was changed and ${id} was not stopped. ${fix}`,
      },
    ];
  }
  // A stopped instance's agent cannot ping; it comes online with the start, which the check waits for.
  const mustBeOnline = facts.state === "running" || facts.state === "pending";
  if (mustBeOnline && agent.PingStatus !== "Online") {
    return [
      {
        code: "no-ssm-agent",
        attribute: "verifyInGuest",
        message: `The SSM agent of instance ${id} is ${agent.PingStatus ?? "not online"}, so verifyInGuest cannot check nested virtualization inside the guest. Nothing was changed and ${id} was not stopped. ${fix}`,
      },
    ];
  }
  return [];
}
