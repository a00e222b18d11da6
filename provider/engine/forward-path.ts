import type { DesiredState, InstanceFacts, StepKind } from "./types";

/** What decides which steps a cycle takes: read once from the facts, the desired state and the plan's findings. */
export interface PathConditions {
  /** The instance gets the new setting: it needs it and nothing blocks the change. */
  modifies: boolean;
  /** Stop, modify and start: a running (or starting) instance gets the new setting. */
  fullCycle: boolean;
  /** An interrupted cycle's journal is on the instance: this run finishes it. */
  resumes: boolean;
  pending: boolean;
  stopping: boolean;
  /** The instance is started: by the full cycle, or because the interrupted cycle found it running. */
  starts: boolean;
  /** A slot in the rollout group is taken before the stop. */
  takesSlot: boolean;
  /** Stop protection is turned off for the cycle (`stopProtection: lift`). */
  lifts: boolean;
  /** …and on again: lifted by this cycle or by the interrupted one. */
  restores: boolean;
  /** The member goes into Standby before the stop (`autoScaling: standby`). */
  entersStandby: boolean;
  /** The member returns to service before the journal comes off: it entered Standby now or in the interrupted cycle. */
  inStandby: boolean;
  /** The status checks must pass after the start (`waitForStatusChecks`). */
  gated: boolean;
  /** The guest proves nested virtualization after the start (`verifyInGuest`). */
  verifies: boolean;
}

/** One step of the forward path, and when a cycle takes it. */
interface PathStep {
  kind: StepKind;
  when: (c: PathConditions) => boolean;
}

/**
 * Every step a cycle may take, in the order it takes them. A plan is this list filtered by its
 * conditions; a new mechanism adds rows here. The status checks and the guest check come before
 * a return to service, so a member is back in its group only once it is proven; otherwise after
 * the journal comes off, holding only the rollout slot.
 */
const FORWARD_PATH: readonly PathStep[] = [
  { kind: "acquire-slot", when: (c) => c.takesSlot },
  // Someone else is starting it: the cycle waits for that before its own stop.
  { kind: "wait-running", when: (c) => c.pending },
  { kind: "write-journal", when: (c) => c.fullCycle },
  // Right after the journal, so an interrupted run's successor knows to return the member.
  { kind: "enter-standby", when: (c) => c.entersStandby },
  { kind: "wait-standby", when: (c) => c.entersStandby },
  // Right after the journal records the lift, so whoever finishes the cycle turns the protection on again.
  { kind: "lift-stop-protection", when: (c) => c.lifts },
  { kind: "stop", when: (c) => c.fullCycle },
  // After our stop, or someone else's: the instance is modified only once stopped.
  { kind: "wait-stopped", when: (c) => c.fullCycle || c.stopping },
  { kind: "modify", when: (c) => c.modifies },
  { kind: "start", when: (c) => c.starts },
  { kind: "wait-running", when: (c) => c.starts },
  { kind: "restore-stop-protection", when: (c) => c.restores },
  { kind: "wait-healthy", when: (c) => c.gated && c.inStandby },
  { kind: "verify-guest", when: (c) => c.verifies && c.inStandby },
  { kind: "exit-standby", when: (c) => c.inStandby },
  { kind: "wait-in-service", when: (c) => c.inStandby },
  { kind: "clear-journal", when: (c) => c.fullCycle || c.resumes },
  { kind: "wait-healthy", when: (c) => c.gated && !c.inStandby },
  { kind: "verify-guest", when: (c) => c.verifies && !c.inStandby },
];

/** The steps of a cycle under `conditions`, in order. */
export function forwardPath(conditions: PathConditions): StepKind[] {
  return FORWARD_PATH.filter((step) => step.when(conditions)).map((step) => step.kind);
}

/**
 * The conditions of the forward path. `modifies`: the setting differs and nothing blocks the
 * change; `blocked`: something does (a plan that only restores an interrupted cycle's run state
 * checks no guest); `stopProtected`: the instance has stop protection.
 */
export function pathConditions(
  facts: InstanceFacts,
  desired: DesiredState,
  found: { modifies: boolean; blocked: boolean; stopProtected: boolean },
): PathConditions {
  const { modifies } = found;
  const resumes = facts.journal !== undefined;
  const acts = modifies || resumes;
  const fullCycle = modifies && (facts.state === "running" || facts.state === "pending");
  // An interrupted cycle found the instance running: it runs again when this one is done.
  const resumesRunning =
    facts.journal?.priorState === "running" && (facts.state === "stopped" || facts.state === "stopping");
  const starts = fullCycle || resumesRunning;
  const lifts = desired.stopProtection === "lift" && found.stopProtected && fullCycle;
  const entersStandby = desired.autoScaling === "standby" && facts.autoScalingGroupName !== undefined && fullCycle;
  return {
    modifies,
    fullCycle,
    resumes,
    pending: acts && facts.state === "pending",
    stopping: acts && facts.state === "stopping",
    starts,
    takesSlot: desired.rolloutGroup !== undefined && desired.rolloutGroup !== "" && fullCycle,
    lifts,
    restores: lifts || facts.journal?.stopProtectionLifted === true,
    entersStandby,
    inStandby: entersStandby || facts.journal?.standbyGroup !== undefined,
    gated: desired.waitForStatusChecks && starts,
    verifies: !found.blocked && desired.verifyInGuest && desired.nestedVirtualization === "enabled" && starts,
  };
}
