import type { InstanceFacts, StepKind } from "./types";

/** The group this plan puts the instance in Standby in, or the one an interrupted cycle did. */
export function standbyGroupOf(facts: InstanceFacts, kinds: readonly StepKind[]): string | undefined {
  return facts.journal?.standbyGroup ?? (kinds.includes("enter-standby") ? facts.autoScalingGroupName : undefined);
}
