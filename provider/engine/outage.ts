import type { CyclePlan, DesiredState } from "./types";

/**
 * The warning a user should read before a change stops a running instance: which instance, that
 * it will be stopped and started, and every side effect. Undefined when nothing goes down (a no-op,
 * an instance that is already stopped, a blocked plan).
 */
export function outageWarning(plan: CyclePlan, desired: Pick<DesiredState, "rolloutGroup" | "maxUnavailable">) {
  if (!plan.causesDowntime || plan.blockers.length > 0) return undefined;
  const lines = [
    `Instance ${plan.instanceId} will be stopped and started again to set NestedVirtualization=${plan.desiredSetting}; it is out of service until it runs again.`,
  ];
  if (desired.rolloutGroup) {
    lines.push(
      `It waits for a slot in rollout group "${desired.rolloutGroup}" (at most ${desired.maxUnavailable} out of service at once).`,
    );
  }
  const effects = plan.warnings.filter((w) => w.code !== "interrupted-cycle");
  if (effects.length > 0) lines.push("Side effects:", ...effects.map((w) => `  - ${w.message}`));
  return lines.join("\n");
}
