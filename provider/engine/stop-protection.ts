import { describeError } from "./errors";
import type { Ec2Gateway } from "./gateway";

/**
 * Stop protection lifted for one cycle (`stopProtection: lift`). The journal records the lift
 * before it happens, so whoever finishes the cycle (this run, or the next one after a crash) turns
 * the protection on again; this object tracks whether that is still owed.
 */
export class StopProtectionLift {
  /** The protection is (or may be) off because of this cycle or the interrupted one it resumes. */
  private owed: boolean;

  constructor(
    private readonly gateway: Ec2Gateway,
    private readonly instanceId: string,
    /** The journal found on the instance records a lift that was not undone yet. */
    liftedEarlier: boolean,
    /** Retry window of the calls made while the instance is down. */
    private readonly retryWindowMs?: number,
  ) {
    this.owed = liftedEarlier;
  }

  get restoreOwed(): boolean {
    return this.owed;
  }

  /** Turns the protection off; from the call on, it is owed back (the call may land although it fails). */
  async lift(): Promise<void> {
    this.owed = true;
    await this.gateway.setStopProtection(this.instanceId, false, false, this.retryWindowMs);
  }

  /** Turns the protection on again. */
  async restore(): Promise<void> {
    await this.gateway.setStopProtection(this.instanceId, true, false, this.retryWindowMs);
    this.owed = false;
  }

  /**
   * After a failure: turns the protection on again if it is owed. Returns what could not be done,
   * in words, or undefined (restored, or nothing owed); the journal must then stay for the next run.
   */
  async restoreAfterFailure(log: (line: string) => void): Promise<string | undefined> {
    if (!this.owed) return undefined;
    try {
      await this.restore();
      log(`turned stop protection on again on ${this.instanceId}`);
      return undefined;
    } catch (error) {
      return `Turning stop protection (disableApiStop) on again on ${this.instanceId} failed too: ${describeError(error)}. The journal tag stays on the instance so that the next run turns it on again; or turn it on by hand with \`aws ec2 modify-instance-attribute --instance-id ${this.instanceId} --disable-api-stop\`.`;
    }
  }
}
