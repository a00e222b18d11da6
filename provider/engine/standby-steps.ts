import type { DesiredState, InstanceFacts, StepKind } from "./types";

/** The steps that take an Auto Scaling member out of service before its stop. */
const INTO_STANDBY: StepKind[] = ["enter-standby", "wait-standby"];
/** …and back in once it runs again (and passes its status checks, when gated). */
const BACK_IN_SERVICE: StepKind[] = ["exit-standby", "wait-in-service"];

/** The group this plan puts the instance in Standby in, or the one an interrupted cycle did. */
export function standbyGroupOf(facts: InstanceFacts, kinds: readonly StepKind[]): string | undefined {
  return facts.journal?.standbyGroup ?? (kinds.includes("enter-standby") ? facts.autoScalingGroupName : undefined);
}

/**
 * With `autoScaling = "standby"`, a cycle that stops a group member puts it in Standby right after
 * its journal is written (so an interrupted run's successor knows to return it) and returns it to
 * service after the start and the health gate, before the journal is removed. A cycle resumed
 * from a journal that records a standby returns the instance to service the same way.
 */
export function withStandby(kinds: StepKind[], facts: InstanceFacts, desired: DesiredState): StepKind[] {
  const entering =
    desired.autoScaling === "standby" && facts.autoScalingGroupName !== undefined && kinds.includes("stop");
  const resuming = facts.journal?.standbyGroup !== undefined;
  if (!entering && !resuming) return kinds;
  const before = entering ? INTO_STANDBY : [];
  const result: StepKind[] = [];
  const gateLast = kinds.includes("wait-healthy");
  for (const kind of kinds) {
    if (kind === "wait-healthy") continue; // moved before the return to service
    if (kind === "clear-journal") result.push(...(gateLast ? ["wait-healthy" as const] : []), ...BACK_IN_SERVICE);
    result.push(kind);
    if (kind === "write-journal") result.push(...before);
  }
  return result;
}
