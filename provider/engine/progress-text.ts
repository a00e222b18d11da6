import type { ProgressPhase } from "./engine";

/**
 * Words for each phase of a cycle, one wording for every front end: the command line's live
 * display and plain lines, and the Pulumi plugin's status next to the resource.
 */
export const PHASE_TEXT: Record<ProgressPhase | "queued", string> = {
  queued: "queued",
  "acquire-slot": "waiting for a slot",
  "write-journal": "writing the journal",
  stop: "stopping",
  "wait-stopped": "waiting until stopped",
  modify: "setting the CPU option",
  start: "starting",
  "wait-running": "waiting until running",
  "clear-journal": "removing the journal",
  "wait-healthy": "waiting for status checks",
  "verify-guest": "checking inside the guest",
  "wait-other-run": "waiting for another run's cycle",
  "enter-standby": "putting in Standby",
  "wait-standby": "waiting for Standby",
  "exit-standby": "returning to service",
  "wait-in-service": "waiting for InService",
  "lift-stop-protection": "lifting stop protection",
  "restore-stop-protection": "restoring stop protection",
};

/** The status line of one instance in a phase, as a resource shows it: `stopping i-0abc…`. */
export function phaseStatus(instanceId: string, phase: ProgressPhase): string {
  return `${PHASE_TEXT[phase]} ${instanceId}`;
}
