import { describeError } from "./errors";
import type { Ec2Gateway } from "./gateway";

/*
 * Stop protection lifted for one cycle (`stopProtection: lift`). The journal records the lift
 * before it happens, so whoever finishes the cycle (this run, or the next one after a crash) turns
 * the protection on again; the cycle's record tells whether that is still owed (planRecovery).
 */

/** Turns the protection off; from the call on, it is owed back (the call may land although it fails). */
export async function liftStopProtection(gateway: Ec2Gateway, instanceId: string): Promise<void> {
  await gateway.setStopProtection(instanceId, false, false);
}

/** Turns the protection on again. */
export async function restoreStopProtection(gateway: Ec2Gateway, instanceId: string): Promise<void> {
  await gateway.setStopProtection(instanceId, true, false);
}

/** What a failed cycle says when the protection could not be turned on again: the journal stays for the next run. */
export function protectionLeftOffNote(instanceId: string, error: unknown): string {
  return `Turning stop protection (disableApiStop) on again on ${instanceId} failed too: ${describeError(error)}. The journal tag stays on the instance so that the next run turns it on again; or turn it on by hand with \`aws ec2 modify-instance-attribute --instance-id ${instanceId} --disable-api-stop\`.`;
}
