import type { AppliedState } from "../engine/engine";
import type { EnablementState, NestedVirtSetting } from "../engine/types";
import type { ResourceValues } from "./types";

/** A stored setting, or undefined when the state predates it or holds something else. */
export function settingOf(value: unknown): NestedVirtSetting | undefined {
  return value === "enabled" || value === "disabled" ? value : undefined;
}

/**
 * The state after create or update: the inputs plus what the engine reports. The setting from
 * before the resource existed and the last cycle's timings survive an update that ran no cycle.
 */
export function stateAfterApply(inputs: ResourceValues, applied: AppliedState, prior?: ResourceValues): ResourceValues {
  return {
    ...inputs,
    nestedVirtualization: applied.nestedVirtualization,
    instanceType: applied.instanceType,
    instanceState: applied.instanceState,
    previousNestedVirtualization:
      settingOf(prior?.previousNestedVirtualization) ?? applied.previousNestedVirtualization,
    warnings: applied.warnings,
    ...(applied.lastCycle ? { lastCycle: applied.lastCycle } : prior?.lastCycle ? { lastCycle: prior.lastCycle } : {}),
  };
}

/** The state after a refresh or import: the stored bookkeeping with the live facts. */
export function stateAfterRead(inputs: ResourceValues, live: EnablementState, stored: ResourceValues): ResourceValues {
  return {
    ...inputs,
    nestedVirtualization: live.nestedVirtualization,
    instanceType: live.instanceType,
    instanceState: live.instanceState,
    previousNestedVirtualization: settingOf(stored.previousNestedVirtualization) ?? live.nestedVirtualization,
    warnings: Array.isArray(stored.warnings) ? stored.warnings : [],
    ...(stored.lastCycle ? { lastCycle: stored.lastCycle } : {}),
  };
}
