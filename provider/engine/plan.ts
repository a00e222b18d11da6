import { FAILED_CYCLE_HOLD_MS, FAILED_CYCLE_TAG_KEY, holdsOff, RETRY_FAILED_CYCLE_ENV } from "./failed-cycle";
import { forwardPath, pathConditions } from "./forward-path";
import type { MutatingAction } from "./gateway";
import { isLeaseHeld, JOURNAL_TAG_KEY } from "./journal";
import type { GroupFindings } from "./launch-template-check";
import type {
  CycleJournal,
  CyclePlan,
  DesiredState,
  FailedCycle,
  InstanceFacts,
  PlanBlocker,
  PlanWarning,
  Step,
  StepKind,
} from "./types";

/** Windows cannot run with nested virtualization on more vCPUs than this. */
export const WINDOWS_MAX_VCPUS = 192;

export interface PlanContext {
  /** Region the instance was looked up in, for the not-found message. */
  region?: string;
  /** EC2 actions the caller may not call (a DryRun or the attribute read was refused). */
  deniedActions?: readonly string[];
  /** Calls whose DryRun the endpoint answered with neither yes nor an IAM no, and what it answered. */
  unperformable?: readonly { action: string; answer: string }[];
  /** The instance has stop protection (`disableApiStop`). */
  stopProtected?: boolean;
  /** The user asks again for a cycle although the last one on the instance failed (see failed-cycle.ts). */
  retryFailedCycle?: boolean;
  /** The clock, to tell another run's live lease from an interrupted cycle; without it every journal is interrupted. */
  now?: number;
  /** The journal tag (exact value) whose holder is gone, its instance stalled: finish that cycle instead of waiting. */
  takeOver?: string;
  /** This run's token: a journal carrying it is this run's own (a claim whose read-back came too early), not another's. */
  runToken?: string;
  /** What reading an Auto Scaling member's group found (its launch template, its minimum size). */
  group?: GroupFindings;
  /** Why the in-guest check (verifyInGuest) cannot run: no managed SSM agent online, or SSM refused to say. */
  guestBlockers?: readonly PlanBlocker[];
}

const STEP_TEXT: Record<StepKind, (id: string, desired: DesiredState) => string> = {
  "acquire-slot": (id, d) =>
    `wait for a slot in rollout group "${d.rolloutGroup}" (at most ${d.maxUnavailable} out of service) before stopping ${id}`,
  "write-journal": (id) => `tag ${id} with the cycle journal`,
  stop: (id) => `stop ${id}`,
  "wait-stopped": (id) => `wait until ${id} is stopped`,
  modify: (id, d) => `set NestedVirtualization=${d.nestedVirtualization} on ${id}`,
  start: (id) => `start ${id}`,
  "wait-running": (id) => `wait until ${id} is running`,
  "clear-journal": (id) => `remove the cycle journal tag from ${id}`,
  "wait-healthy": (id) => `wait until the status checks of ${id} are ok`,
  "enter-standby": (id) => `put ${id} in Standby in its Auto Scaling group (EnterStandby)`,
  "wait-standby": (id) => `wait until ${id} is in Standby`,
  "exit-standby": (id) => `return ${id} to service in its Auto Scaling group (ExitStandby)`,
  "wait-in-service": (id) => `wait until ${id} is InService again (lifecycle hooks included)`,
  "verify-guest": (id) => `check inside ${id} (SSM Run Command) that it can run a hypervisor`,
  "lift-stop-protection": (id) => `turn stop protection (disableApiStop) off on ${id} for the cycle`,
  "restore-stop-protection": (id) => `turn stop protection (disableApiStop) on again on ${id}`,
};

function steps(instanceId: string, desired: DesiredState, kinds: StepKind[]): Step[] {
  return kinds.map((kind) => ({ kind, description: STEP_TEXT[kind](instanceId, desired) }));
}

/** The instance's own vCPUs (CoreCount × ThreadsPerCore, which CpuOptions may lower); else its type's default. */
export function vCpusOf(facts: InstanceFacts): number {
  const { coreCount, threadsPerCore } = facts;
  return coreCount && threadsPerCore ? coreCount * threadsPerCore : facts.type.defaultVCpus;
}

function blockersFor(facts: InstanceFacts, desired: DesiredState, context: PlanContext): PlanBlocker[] {
  const id = facts.instanceId;
  const blockers: PlanBlocker[] = [];
  const enabling = desired.nestedVirtualization === "enabled";
  if (enabling && !facts.type.supportsNestedVirtualization) {
    blockers.push({
      code: "unsupported-instance-type",
      attribute: "instanceId",
      message: `Instance ${id} is a ${facts.instanceType}, which does not support nested virtualization (DescribeInstanceTypes lists no "nested-virtualization" feature). Choose a type whose DescribeInstanceTypes answer lists it, such as the C8i, M8i, R8i, C7i, M7i, R7i, I7i or X8i families (see the README).`,
    });
  }
  if (facts.spot) {
    blockers.push({
      code: "spot-instance",
      attribute: "instanceId",
      message: `Instance ${id} is a Spot Instance; stopping it to change CPU options could lose the capacity. Launch it with nested virtualization enabled instead (CpuOptions in the launch template).`,
    });
  }
  if (facts.hibernationConfigured) {
    blockers.push({
      code: "hibernation-configured",
      attribute: "instanceId",
      message: `Instance ${id} has hibernation configured, which cannot be combined with nested virtualization. Launch a replacement without hibernation.`,
    });
  }
  if (facts.rootDeviceType === "instance-store" && facts.state !== "stopped") {
    blockers.push({
      code: "instance-store-root",
      attribute: "instanceId",
      message: `Instance ${id} has an instance-store root device and cannot be stopped. Use an EBS-backed AMI.`,
    });
  }
  const vCpus = vCpusOf(facts);
  if (enabling && facts.platform === "windows" && vCpus > WINDOWS_MAX_VCPUS) {
    blockers.push({
      code: "windows-too-many-vcpus",
      attribute: "instanceId",
      message: `Instance ${id} runs Windows on ${vCpus} vCPUs; nested virtualization on Windows supports at most ${WINDOWS_MAX_VCPUS}. Choose a smaller size or launch it with fewer cores (CpuOptions).`,
    });
  }
  if (facts.autoScalingGroupName && desired.autoScaling === "refuse") {
    blockers.push({
      code: "auto-scaling-member",
      attribute: "autoScaling",
      message: `Instance ${id} belongs to Auto Scaling group "${facts.autoScalingGroupName}", which may replace it while it is stopped. Set autoScaling to "standby" to have the cycle put it in Standby and return it to service afterwards, or to "allow" if you have suspended the group's health checks (or put it in Standby) yourself.`,
    });
  }
  blockers.push(...(context.group?.standbyBlockers ?? []));
  if (context.stopProtected && facts.state !== "stopped" && desired.stopProtection !== "lift")
    blockers.push(stopProtectedBlocker(id));
  for (const action of context.deniedActions ?? []) blockers.push(missingPermissionBlocker(id, action));
  for (const call of context.unperformable ?? []) blockers.push(endpointCannotCycleBlocker(id, call));
  const failure = facts.failedCycle;
  if (failure && !context.retryFailedCycle && holdsOff(failure, desired.nestedVirtualization, context.now ?? 0)) {
    blockers.push(earlierFailureBlocker(id, failure));
  }
  return blockers;
}

/** The endpoint answered a DryRun of a call the cycle needs with something other than yes or an IAM no. */
export function endpointCannotCycleBlocker(id: string, call: { action: string; answer: string }): PlanBlocker {
  return {
    code: "endpoint-cannot-cycle",
    message: `The EC2 endpoint cannot perform the cycle on ${id}: it answered the DryRun of ec2:${call.action} with ${call.answer}. Nothing was changed and ${id} was not stopped. Point the provider at an endpoint that implements ${call.action} (AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL or the provider's endpoint setting), or, if the endpoint is failing for now, run again later.`,
  };
}

/** An earlier run stopped the instance for this setting and failed at a call; the instance was started again. */
export function earlierFailureBlocker(id: string, failure: FailedCycle): PlanBlocker {
  const minutes = Math.round(FAILED_CYCLE_HOLD_MS / 60_000);
  return {
    code: "earlier-cycle-failed",
    attribute: "nestedVirtualization",
    message: `A cycle setting NestedVirtualization=${failure.to} on ${id} failed at ${failure.at}: ${failure.call} failed: ${failure.error}. That run started ${id} again in its old configuration. So as not to stop ${id} again only to meet the same failure, this run changes nothing (for ${minutes} minutes after the failure). Fix the cause, then ask again explicitly: run with ${RETRY_FAILED_CYCLE_ENV}=true, or remove the tag with \`aws ec2 delete-tags --resources ${id} --tags Key=${FAILED_CYCLE_TAG_KEY}\`.`,
  };
}

/** The instance has `disableApiStop` (found by the preflight, or by EC2 refusing the stop). */
export function stopProtectedBlocker(id: string): PlanBlocker {
  return {
    code: "stop-protected",
    attribute: "instanceId",
    message: `Instance ${id} has stop protection (disableApiStop), so it cannot be stopped to change its CPU options. Turn it off with \`aws ec2 modify-instance-attribute --instance-id ${id} --no-disable-api-stop\` (disable_api_stop = false on a Terraform aws_instance, disableApiStop: false in @pulumi/aws), run again, then turn it back on.`,
  };
}

/** The caller may not call `action` on the instance (a DryRun, or the call itself, was refused). */
export function missingPermissionBlocker(id: string, action: string): PlanBlocker {
  return {
    code: "missing-permission",
    message: `The caller may not call ec2:${action} on ${id} (EC2 refused it with UnauthorizedOperation). Grant ec2:${action} for this instance; see the IAM policy in the README.`,
  };
}

function warningsFor(facts: InstanceFacts, desired: DesiredState): PlanWarning[] {
  const id = facts.instanceId;
  const warnings: PlanWarning[] = [];
  if (facts.ephemeralPublicIp) {
    warnings.push({
      code: "public-ip-will-change",
      message: `Instance ${id} will get a new public IPv4 address: ${facts.ephemeralPublicIp} is not an Elastic IP and is released when the instance stops.`,
    });
  }
  if (facts.type.instanceStorageSupported) {
    warnings.push({
      code: "instance-store-data-lost",
      message: `Data on the ${facts.type.instanceStorageGiB} GiB of instance-store volumes of ${id} will be lost when it stops.`,
    });
  }
  if (facts.platform === "windows" && desired.nestedVirtualization === "enabled") {
    warnings.push({
      code: "windows-vsm-disabled",
      message: `Windows on ${id}: enabling nested virtualization turns off Virtual Secure Mode, so Credential Guard and other VSM features stop working.`,
    });
  }
  if (facts.autoScalingGroupName) {
    warnings.push({
      code: "auto-scaling-member",
      message:
        desired.autoScaling === "standby"
          ? `Instance ${id} belongs to Auto Scaling group "${facts.autoScalingGroupName}": the cycle puts it in Standby (decrementing the group's desired capacity, so no replacement is launched; a load balancer deregisters and drains it) and returns it to service (ExitStandby) once it runs again.`
          : `Instance ${id} belongs to Auto Scaling group "${facts.autoScalingGroupName}"; make sure it is in Standby so the group does not replace it while it is stopped.`,
    });
  }
  return warnings;
}

/**
 * Decides what to do with one instance. Pure: the same facts and desired state always give the
 * same plan, so every rule is unit-tested without EC2.
 */
export function planCycle(
  facts: InstanceFacts | undefined,
  desired: DesiredState,
  context: PlanContext = {},
): CyclePlan {
  const id = desired.instanceId;
  const base = { instanceId: id, desiredSetting: desired.nestedVirtualization };
  if (!facts) {
    const where = context.region ? ` in region ${context.region}` : "";
    return blockedBy(base, {
      code: "instance-not-found",
      attribute: "instanceId",
      message: `Instance ${id} was not found${where}. Check the instance ID and the region it is looked up in (the resource's region, the provider's or stack's region setting, or AWS_REGION).`,
    });
  }
  const current = { ...base, currentSetting: facts.nestedVirtualization };
  if (facts.state === "terminated" || facts.state === "shutting-down") {
    return blockedBy(current, {
      code: "instance-terminated",
      attribute: "instanceId",
      message: `Instance ${id} is ${facts.state}; its CPU options can no longer be changed. Point instanceId at a live instance.`,
    });
  }

  if (facts.unreadableJournal) {
    const { value, problem } = facts.unreadableJournal;
    return blockedBy(current, {
      code: "unreadable-journal",
      attribute: "instanceId",
      message: `Instance ${id} carries a ${JOURNAL_TAG_KEY} tag this version cannot read (${problem}): ${JSON.stringify(value)}. It may record an interrupted cycle, so nothing is changed on a guess. Check the instance (start it if it should be running), then remove the tag with \`aws ec2 delete-tags --resources ${id} --tags Key=${JOURNAL_TAG_KEY}\` and run again.`,
    });
  }
  const held = heldByAnotherRun(facts, context);
  if (held) return otherCyclePlan(current, held, desired);

  const needsModify = facts.nestedVirtualization !== desired.nestedVirtualization;
  const journalWarning: PlanWarning[] = facts.journal
    ? [
        {
          code: "interrupted-cycle",
          message: `Instance ${id} carries the journal of an interrupted cycle (begun ${facts.journal.startedAt || "at an unknown time"}); this run finishes it.`,
        },
      ]
    : [];
  // The group's launch template concerns the instances it launches later, whatever this one needs.
  const groupWarnings = context.group?.warnings ?? [];
  if (!needsModify && !facts.journal) {
    return { ...current, steps: [], warnings: groupWarnings, blockers: [], causesDowntime: false };
  }

  const blockers = [...(needsModify ? blockersFor(facts, desired, context) : []), ...(context.guestBlockers ?? [])];
  const blocked = blockers.length > 0;
  const stopProtected = context.stopProtected === true;
  const kinds = forwardPath(
    pathConditions(facts, desired, { modifies: needsModify && !blocked, blocked, stopProtected }),
  );
  const causesDowntime = kinds.includes("stop");
  return {
    ...current,
    steps: steps(id, desired, kinds),
    warnings: [
      ...journalWarning,
      ...(causesDowntime ? warningsFor(facts, desired) : []),
      ...(kinds.includes("lift-stop-protection") ? [stopProtectionLiftedWarning(id)] : []),
      ...groupWarnings,
    ],
    blockers,
    causesDowntime,
  };
}

/** The preview's word that the cycle lifts stop protection (see forward-path.ts). */
export function stopProtectionLiftedWarning(id: string): PlanWarning {
  return {
    code: "stop-protection-lifted",
    message: `Instance ${id} has stop protection (disableApiStop); it will be lifted for the cycle and turned on again once ${id} runs again (stopProtection: lift). The cycle journal records the lift, so an interrupted run's protection is turned on again by the next run.`,
  };
}

/** A plan that changes nothing because of one blocker. */
function blockedBy(
  base: Omit<CyclePlan, "steps" | "warnings" | "blockers" | "causesDowntime">,
  blocker: PlanBlocker,
): CyclePlan {
  return { ...base, steps: [], warnings: [], causesDowntime: false, blockers: [blocker] };
}

/** Another run's journal whose lease is still held, unless we are taking over from a stalled holder. */
function heldByAnotherRun(facts: InstanceFacts, context: PlanContext): CycleJournal | undefined {
  const journal = facts.journal;
  if (!journal || context.now === undefined) return undefined;
  if (context.takeOver !== undefined && context.takeOver === facts.journalTag) return undefined;
  if (context.runToken !== undefined && journal.runToken === context.runToken) return undefined;
  return isLeaseHeld(journal, context.now) ? journal : undefined;
}

/** Another run is cycling the instance: the same target means wait for it, another means stop here. */
function otherCyclePlan(
  current: Omit<CyclePlan, "steps" | "warnings" | "blockers" | "causesDowntime">,
  held: CycleJournal,
  desired: DesiredState,
): CyclePlan {
  const id = current.instanceId;
  const other = `a cycle begun ${held.startedAt} that sets NestedVirtualization=${held.to}`;
  if (held.to !== desired.nestedVirtualization) {
    return blockedBy(current, {
      code: "conflicting-cycle",
      attribute: "nestedVirtualization",
      message: `Instance ${id} is being changed by another run (${other}), which conflicts with this run's "${desired.nestedVirtualization}". Nothing was changed. Two configurations (stacks, workspaces) should not manage the same instance; once that run has finished, run again to apply "${desired.nestedVirtualization}".`,
    });
  }
  return {
    ...current,
    steps: [],
    blockers: [],
    causesDowntime: false,
    awaiting: held,
    warnings: [
      {
        code: "other-cycle-in-progress",
        message: `Instance ${id} is being changed by another run (${other}); this run waits for it to finish instead of stopping the instance again.`,
      },
    ],
  };
}

/** The EC2 call each mutating step makes (waits make none). */
export const STEP_ACTIONS: Partial<Record<StepKind, MutatingAction>> = {
  "write-journal": "CreateTags",
  stop: "StopInstances",
  modify: "ModifyInstanceCpuOptions",
  start: "StartInstances",
  "clear-journal": "DeleteTags",
  "lift-stop-protection": "ModifyInstanceAttribute",
  "restore-stop-protection": "ModifyInstanceAttribute",
};

/** The mutating actions a plan will call, for the DryRun permission check. */
export function actionsOf(plan: CyclePlan): MutatingAction[] {
  const actions = plan.steps.map((s) => STEP_ACTIONS[s.kind]).filter((a): a is MutatingAction => a !== undefined);
  return [...new Set(actions)];
}
