import { awsErrorCode, describeError } from "../errors";
import type { EC2_ACTIONS } from "../schema";
import type { Ec2Calls } from "./calls";

/** The EC2 actions that change something, and so are checked with DryRun before a cycle. */
export type MutatingAction = (typeof EC2_ACTIONS.change)[number];

/** How EC2 answered a DryRun; `answer` says what came back when it was neither yes nor an IAM no. */
export type DryRunVerdict =
  | { verdict: "permitted" }
  | { verdict: "denied" }
  | { verdict: "cannot-perform"; answer: string };

/**
 * A permitted DryRun verdict is reused for this long: an operation (one `pulumi up`, one
 * `terraform apply`) asks once per action and instance, at preview/plan or before the stop.
 */
export const PERMISSION_TTL_MS = 15 * 60_000;

/** Until when (epoch ms) something found per instance holds. */
class UntilPerInstance {
  private readonly until = new Map<string, number>();

  holds(instanceId: string, now = Date.now()): boolean {
    return (this.until.get(instanceId) ?? 0) > now;
  }

  /** Holds until `until`, unless it already holds longer. */
  extend(instanceId: string, until: number): void {
    if (until > (this.until.get(instanceId) ?? 0)) this.until.set(instanceId, until);
  }

  forget(instanceId: string): void {
    this.until.delete(instanceId);
  }
}

/**
 * What the gateway remembers of EC2's answers about what may be done: permitted DryRun verdicts per
 * action and instance, and stop protection found off per instance. Only the answers that let a
 * cycle go ahead are remembered; the others are asked again, as the user may fix them.
 */
export class Ec2Permissions {
  private readonly permitted = new Map<MutatingAction, UntilPerInstance>();
  private readonly stopProtectionOff = new UntilPerInstance();

  /** `dryRun(action, instanceId)` resolves when EC2 answers that the call would have succeeded. */
  constructor(
    private readonly calls: Ec2Calls,
    private readonly dryRun: (action: MutatingAction, instanceId: string) => Promise<void>,
  ) {}

  /**
   * Asks EC2, with DryRun, whether the caller may perform `action` on the instance: `DryRunOperation`
   * means permitted, `UnauthorizedOperation` denied, and any other answer (an unknown action, an
   * unsupported operation, another 4xx or 5xx, a body that is not EC2's) means the endpoint cannot
   * perform the call. Throttling and transient errors are retried (the SDK's standard budget) before
   * the answer counts. A permitted verdict is remembered for the operation (see PERMISSION_TTL_MS),
   * so preview/plan and the apply that follows in the same process ask once.
   */
  async dryRunVerdict(action: MutatingAction, instanceId: string): Promise<DryRunVerdict> {
    if (this.permittedFor(action).holds(instanceId)) return { verdict: "permitted" };
    try {
      await this.dryRun(action, instanceId);
    } catch (error) {
      if (awsErrorCode(error) === "UnauthorizedOperation") return { verdict: "denied" };
      return { verdict: "cannot-perform", answer: describeError(error) };
    }
    this.permittedFor(action).extend(instanceId, Date.now() + PERMISSION_TTL_MS);
    return { verdict: "permitted" };
  }

  /**
   * Takes a permitted verdict that another process of this operation found at `checkedAt` (the
   * Pulumi program's preflight) as if this process had asked: it holds until PERMISSION_TTL_MS after.
   */
  rememberPermitted(action: MutatingAction, instanceId: string, checkedAt: number): void {
    this.permittedFor(action).extend(instanceId, checkedAt + PERMISSION_TTL_MS);
  }

  /**
   * Whether stop protection (the `disableApiStop` attribute) is on: StopInstances would be refused.
   * "Off" is remembered like a permitted DryRun, so Pulumi's `check` and the `create` after it read
   * it once; "on" is read again, as the user may turn it off. Should it be turned on in between, the
   * StopInstances of the cycle is refused before anything has stopped.
   */
  async isStopProtected(instanceId: string): Promise<boolean> {
    if (this.stopProtectionOff.holds(instanceId)) return false;
    const on = await this.calls.describeStopProtection(instanceId);
    if (!on) this.stopProtectionOff.extend(instanceId, Date.now() + PERMISSION_TTL_MS);
    return on;
  }

  /** Stop protection is being changed: the next look at the attribute asks EC2 again. */
  forgetStopProtection(instanceId: string): void {
    this.stopProtectionOff.forget(instanceId);
  }

  private permittedFor(action: MutatingAction): UntilPerInstance {
    let found = this.permitted.get(action);
    if (!found) {
      found = new UntilPerInstance();
      this.permitted.set(action, found);
    }
    return found;
  }
}
