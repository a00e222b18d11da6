import { NestedVirtError, UnexpectedStateError, WaitTimeoutError } from "./errors";
import type { Ec2Gateway } from "./gateway";
import { RETRY, type Verdict } from "./poller";
import { type InstanceChecks, instanceChecksOf } from "./status";
import type { WaitOptions } from "./waiters";

/** The instance failed its health gate; it is running with the new setting but not healthy. */
export class HealthGateError extends NestedVirtError {
  constructor(
    instanceId: string,
    readonly failedCheck: string,
  ) {
    super(
      "HealthGateFailed",
      `Instance ${instanceId} is running but failed its health gate: ${failedCheck} is impaired (DescribeInstanceStatus). The CPU option change was applied; look at its system log and status checks in the EC2 console.`,
      instanceId,
    );
  }
}

function impairedChecks(checks: InstanceChecks): string {
  return [
    checks.instance === "impaired" ? "instance status check" : undefined,
    checks.system === "impaired" ? "system status check" : undefined,
  ]
    .filter(Boolean)
    .join(" and ");
}

/** Both checks `ok` ends the wait; either `impaired` fails it; an instance that stops running fails it. */
function statusOkAcceptor(instanceId: string) {
  return (observed: Parameters<typeof instanceChecksOf>[0]): Verdict<void> => {
    const checks = instanceChecksOf(observed);
    if (checks.instance === "ok" && checks.system === "ok") return { state: "success", result: undefined };
    if (checks.instance === "impaired" || checks.system === "impaired") {
      return { state: "failure", error: new HealthGateError(instanceId, impairedChecks(checks)) };
    }
    if (checks.state !== "running" && checks.state !== "pending") {
      return {
        state: "failure",
        error: new UnexpectedStateError(instanceId, String(checks.state), "its status checks"),
      };
    }
    return RETRY;
  };
}

/** Waits until EC2's instance and system status checks of the instance are both `ok`. */
export function waitInstanceStatusOk(gateway: Ec2Gateway, instanceId: string, options: WaitOptions): Promise<void> {
  return gateway.statusPoller.wait({
    key: instanceId,
    kind: "status-ok",
    acceptor: statusOkAcceptor(instanceId),
    timeoutMs: options.timeoutSeconds * 1000,
    intervalMs: options.pollIntervalMs,
    signal: options.signal,
    onTimeout: (last, observed) => {
      const checks = instanceChecksOf(last);
      return new WaitTimeoutError(
        instanceId,
        "status checks ok",
        observed ? `instance ${checks.instance}, system ${checks.system}` : "not yet observed",
        options.timeoutSeconds,
        "It is running with the new CPU option; raise timeouts.healthy if it needs longer to boot, or look at its status checks in the EC2 console.",
      );
    },
  });
}
