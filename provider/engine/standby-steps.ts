import type { DesiredState, InstanceFacts, StepKind } from "./types";

/** The steps that take an Auto Scaling member out of service before its stop. */
const INTO_STANDBY: StepKind[] = ["enter-standby", "wait-standby"];
/** …and back in once it runs again (and passes its status checks and the in-guest check, when asked). */
const BACK_IN_SERVICE: StepKind[] = ["exit-standby", "wait-in-service"];

/** The group this plan puts the instance in Standby in, or the one an interrupted cycle did. */
export function standbyGroupOf(facts: InstanceFacts, kinds: readonly StepKind[]): string | undefined {
  return facts.journal?.standbyGroup ?? (kinds.includes("enter-standby") ? facts.autoScalingGroupName : undefined);
}

/**
 * With `autoScaling = "standby"`, a cycle that stops a group member puts it in Standby right after
 * its journal is written (so an interrupted run's successor knows to return it) and returns it to
 * service after the start, the health gate and the in-guest check (moved from the end of the
 * cycle), before the journal is removed; lifted stop protection is restored before that too. A
 * cycle resumed from a journal that records a standby returns the instance to service the same way.
 */
export function withStandby(kinds: StepKind[], facts: InstanceFacts, desired: DesiredState): StepKind[] {
  const entering =
    desired.autoScaling === "standby" && facts.autoScalingGroupName !== undefined && kinds.includes("stop");
  const resuming = facts.journal?.standbyGroup !== undefined;
  if (!entering && !resuming) return kinds;
  const before = entering ? INTO_STANDBY : [];
  const result: StepKind[] = [];
  // The status checks and the check inside the guest come before the return to service.
  const checks: StepKind[] = kinds.filter((kind) => kind === "wait-healthy" || kind === "verify-guest");
  for (const kind of kinds) {
    if (checks.includes(kind)) continue; // moved before the return to service
    if (kind === "clear-journal") result.push(...checks, ...BACK_IN_SERVICE);
    result.push(kind);
    if (kind === "write-journal") result.push(...before);
  }
  return result;
}
