import type { AutoScalingGateway, GroupMembership } from "./auto-scaling-gateway";
import { describeError, NestedVirtError } from "./errors";
import type { Ec2Gateway } from "./gateway";
import { RETRY, type Verdict } from "./poller";

export interface StandbyOptions {
  /** Bound of the wait for `Standby` (part of taking the instance down). */
  stopTimeoutSeconds: number;
  /** Bound of the wait for `InService`, lifecycle hooks included (part of bringing it back). */
  startTimeoutSeconds: number;
  pollIntervalMs: number;
  log: (line: string) => void;
}

const LAUNCHING_TRANSITION = "autoscaling:EC2_INSTANCE_LAUNCHING";

/** Auto Scaling refused or failed a standby call, or the member did not reach the state in time. */
export class StandbyError extends NestedVirtError {
  constructor(instanceId: string, message: string) {
    super("AutoScalingStandby", message, instanceId);
  }
}

/**
 * One instance's trip through Standby around its cycle (`autoScaling = "standby"`). Each step looks
 * at the member first, so a run that resumes an interrupted cycle neither enters Standby twice nor
 * exits a member that is already back.
 */
export class StandbyCycle {
  private entered = false;
  /** ExitStandby went out (or the member was already on its way back): a failure after it is only reported. */
  private exitRequested = false;

  constructor(
    private readonly autoScaling: AutoScalingGateway,
    private readonly ec2: Ec2Gateway,
    readonly instanceId: string,
    readonly groupName: string,
    private readonly options: StandbyOptions,
  ) {}

  async enter(): Promise<void> {
    const state = await this.lifecycleState();
    if (state !== "Standby" && state !== "EnteringStandby") {
      await this.call("EnterStandby", () => this.autoScaling.enterStandby(this.groupName, this.instanceId));
    }
    this.entered = true;
  }

  async waitStandby(): Promise<void> {
    await this.waitFor(
      ["Standby"],
      this.options.stopTimeoutSeconds,
      async (last) =>
        `Instance ${this.instanceId} did not reach Standby in Auto Scaling group "${this.groupName}" within ${this.options.stopTimeoutSeconds}s; it is "${last}". It was not stopped.`,
    );
  }

  async exit(): Promise<void> {
    const state = await this.lifecycleState();
    if (state === "EnteringStandby") await this.waitStandby();
    this.exitRequested = true;
    if (state !== "Standby" && state !== "EnteringStandby") return; // already on its way back, or back
    await this.call("ExitStandby", () => this.autoScaling.exitStandby(this.groupName, this.instanceId));
  }

  async waitInService(): Promise<void> {
    await this.waitFor(["InService"], this.options.startTimeoutSeconds, async (last) => {
      const hooks = last.startsWith("Pending") ? await this.launchingHooks() : [];
      const held =
        hooks.length > 0
          ? `, held by lifecycle hook${hooks.length > 1 ? "s" : ""} ${hooks.map((h) => `"${h}"`).join(", ")} (${LAUNCHING_TRANSITION})`
          : "";
      return `Instance ${this.instanceId} did not return to InService in Auto Scaling group "${this.groupName}" within ${this.options.startTimeoutSeconds}s (timeouts.start); it is "${last}"${held}. It is running; the group puts it in service once the hooks complete (aws autoscaling complete-lifecycle-action --auto-scaling-group-name ${this.groupName} --instance-id ${this.instanceId} --lifecycle-hook-name ${hooks[0] ?? "NAME"} --lifecycle-action-result CONTINUE) or time out. Its journal stays on the instance until the next run sees it InService.`;
    });
  }

  /**
   * After a failed cycle: a member this run put in Standby goes back into service when it is
   * running (the cycle started it again, or never stopped it). One left down stays in Standby, so
   * the group does not replace it; the journal on it says to return it once it runs.
   * Returns what became of the member, for the failed cycle's message (nothing when it owed nothing).
   */
  async returnToService(): Promise<string | undefined> {
    if (!this.entered || this.exitRequested) return undefined;
    try {
      const instance = await this.ec2.describeInstance(this.instanceId);
      if (instance?.State?.Name !== "running") {
        return `${this.instanceId} stays in Standby in Auto Scaling group "${this.groupName}" while it is not running, so the group does not replace it; the next run returns it to service.`;
      }
      this.options.log(`returning ${this.instanceId} to service in Auto Scaling group "${this.groupName}"`);
      await this.exit();
      await this.waitInService();
      return `${this.instanceId} was returned to service (InService) in Auto Scaling group "${this.groupName}".`;
    } catch (exitError) {
      return `Returning ${this.instanceId} to service in Auto Scaling group "${this.groupName}" also failed: ${describeError(exitError)}. Return it with \`aws autoscaling exit-standby --auto-scaling-group-name ${this.groupName} --instance-ids ${this.instanceId}\`.`;
    }
  }

  private async lifecycleState(): Promise<string> {
    const member = await this.call("DescribeAutoScalingInstances", () => this.autoScaling.membership(this.instanceId));
    if (!member || member.groupName !== this.groupName) throw this.notMember(member);
    return member.lifecycleState;
  }

  private notMember(member: GroupMembership | undefined): StandbyError {
    return new StandbyError(
      this.instanceId,
      `Instance ${this.instanceId} is no longer a member of Auto Scaling group "${this.groupName}" (DescribeAutoScalingInstances ${member ? `names group "${member.groupName}"` : "does not list it"}); nothing was done to its group membership. Check the group, then run again.`,
    );
  }

  /** Waits on the gateway's shared poller; what ends it is the member's state (or leaving the group). */
  private async waitFor(
    targets: readonly string[],
    timeoutSeconds: number,
    timedOut: (last: string) => Promise<string>,
  ): Promise<void> {
    let last = "";
    const timeout = new Error("timed out");
    try {
      await this.autoScaling.memberPoller.wait({
        key: this.instanceId,
        kind: `auto-scaling-${targets.join("-")}`,
        acceptor: (member): Verdict<true> => {
          if (!member || member.groupName !== this.groupName)
            return { state: "failure", error: this.notMember(member) };
          last = member.lifecycleState;
          return targets.includes(last) ? { state: "success", result: true } : RETRY;
        },
        timeoutMs: timeoutSeconds * 1000,
        intervalMs: this.options.pollIntervalMs,
        onTimeout: () => timeout,
      });
    } catch (error) {
      if (error !== timeout) throw error;
      throw new StandbyError(this.instanceId, await timedOut(last));
    }
  }

  /** The names of the group's hooks on instance launch (which ExitStandby goes through). */
  private async launchingHooks(): Promise<string[]> {
    const hooks = await this.autoScaling.lifecycleHooks(this.groupName).catch(() => []);
    return hooks.filter((h) => h.LifecycleTransition === LAUNCHING_TRANSITION).map((h) => h.LifecycleHookName ?? "");
  }

  private async call<T>(action: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof NestedVirtError) throw error;
      throw new StandbyError(
        this.instanceId,
        `autoscaling:${action} failed for ${this.instanceId} in Auto Scaling group "${this.groupName}": ${describeError(error)}.${action === "EnterStandby" ? " The instance was not stopped." : ""}`,
      );
    }
  }
}
