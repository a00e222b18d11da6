// Auto Scaling groups: membership, each member's lifecycle state (InService, Standby and the states
// between), launching lifecycle hooks that hold an instance in Pending:Wait, and the group's health
// check: an InService member whose instance is stopped is replaced (terminated, and a new instance
// launched from the group's launch template). Timer-free like the instance store: every read
// settles the records against the clock.

import { randomHex } from "../addresses";
import type { InstanceStore } from "../instances";
import type { LaunchTemplateStore } from "../launch-templates";

/** EC2 tags every member of a group with the group's name; the engine finds membership by it. */
export const GROUP_NAME_TAG = "aws:autoscaling:groupName";

export type LifecycleState = "Pending" | "Pending:Wait" | "InService" | "EnteringStandby" | "Standby";

export const LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING";
export const TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING";

export interface LifecycleHookRecord {
  readonly name: string;
  readonly transition: typeof LAUNCHING | typeof TERMINATING;
  /** How long an instance waits in Pending:Wait unless the action is completed; then DefaultResult. */
  readonly heartbeatSeconds: number;
  readonly defaultResult: "CONTINUE" | "ABANDON";
}

/** Where the group's instances come from: a launch template directly or in a mixed instances policy. */
export interface GroupLaunchTemplate {
  readonly launchTemplateId: string;
  /** A number, `$Default` or `$Latest`; default `$Default`. */
  readonly version?: string;
  /** The template sits in a MixedInstancesPolicy instead of the group's LaunchTemplate. */
  readonly mixedInstancesPolicy?: boolean;
}

export interface SeedGroup {
  name: string;
  /** Instances (already in the instance store) that are the group's InService members. */
  instanceIds?: readonly string[];
  minSize?: number;
  maxSize?: number;
  /** Default: the number of members. */
  desiredCapacity?: number;
  launchTemplate?: GroupLaunchTemplate;
  /** A launch configuration instead of a template (cannot set CpuOptions). */
  launchConfigurationName?: string;
  lifecycleHooks?: readonly Partial<LifecycleHookRecord>[];
}

interface MemberRecord {
  readonly instanceId: string;
  state: LifecycleState;
  /** When the current transitional state ends (EnteringStandby, Pending); Pending:Wait ends at its heartbeat. */
  until?: number;
  /** The launching hooks still to be completed while in Pending:Wait. */
  pendingHooks?: string[];
}

export interface GroupRecord {
  readonly name: string;
  readonly arn: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  readonly launchTemplate?: GroupLaunchTemplate;
  readonly launchConfigurationName?: string;
  readonly hooks: LifecycleHookRecord[];
  readonly members: Map<string, MemberRecord>;
  /** Instances the group launched to replace members it found unhealthy or that left for Standby. */
  readonly replacements: string[];
  readonly createdAt: number;
}

export interface MemberSnapshot {
  instanceId: string;
  groupName: string;
  lifecycleState: LifecycleState;
}

export interface GroupSnapshot {
  name: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  members: MemberSnapshot[];
  replacementsLaunched: string[];
}

/** A refusal the Auto Scaling API answers with its own error code (ValidationError, …). */
export class AutoScalingError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface Timings {
  /** Time in EnteringStandby before Standby. */
  enteringStandbyMs: number;
  /** Time in Pending after ExitStandby before hooks (Pending:Wait) or InService. */
  pendingMs: number;
}

export class AutoScalingGroups {
  private readonly groups = new Map<string, GroupRecord>();

  constructor(
    private readonly instances: InstanceStore,
    private readonly launchTemplates: LaunchTemplateStore,
    private readonly now: () => number,
    readonly timings: Timings,
    private readonly region: string,
  ) {}

  add(seed: SeedGroup): void {
    if (this.groups.has(seed.name)) throw new Error(`an Auto Scaling group named ${seed.name} already exists`);
    const ids = seed.instanceIds ?? [];
    const group: GroupRecord = {
      name: seed.name,
      arn: `arn:aws:autoscaling:${this.region}:123456789012:autoScalingGroup:${randomHex(8)}-${randomHex(4)}:autoScalingGroupName/${seed.name}`,
      minSize: seed.minSize ?? 0,
      maxSize: seed.maxSize ?? Math.max(ids.length, seed.desiredCapacity ?? 0, 1) + 2,
      desiredCapacity: seed.desiredCapacity ?? ids.length,
      ...(seed.launchTemplate ? { launchTemplate: seed.launchTemplate } : {}),
      ...(seed.launchConfigurationName ? { launchConfigurationName: seed.launchConfigurationName } : {}),
      hooks: (seed.lifecycleHooks ?? []).map((hook, index) => ({
        name: hook.name ?? `hook-${index + 1}`,
        transition: hook.transition ?? LAUNCHING,
        heartbeatSeconds: hook.heartbeatSeconds ?? 3600,
        defaultResult: hook.defaultResult ?? "CONTINUE",
      })),
      members: new Map(),
      replacements: [],
      createdAt: this.now(),
    };
    for (const id of ids) {
      this.instances.require(id).tags.set(GROUP_NAME_TAG, seed.name);
      group.members.set(id, { instanceId: id, state: "InService" });
    }
    this.groups.set(seed.name, group);
  }

  get(name: string): GroupRecord | undefined {
    this.settle();
    return this.groups.get(name);
  }

  all(): GroupRecord[] {
    this.settle();
    return [...this.groups.values()];
  }

  /** The group and member record of an instance, if it belongs to a group. */
  memberOf(instanceId: string): { group: GroupRecord; member: MemberRecord } | undefined {
    this.settle();
    for (const group of this.groups.values()) {
      const member = group.members.get(instanceId);
      if (member) return { group, member };
    }
    return undefined;
  }

  snapshot(name: string): GroupSnapshot {
    const group = this.get(name);
    if (!group) throw new Error(`no such Auto Scaling group ${name}`);
    return {
      name: group.name,
      minSize: group.minSize,
      maxSize: group.maxSize,
      desiredCapacity: group.desiredCapacity,
      members: [...group.members.values()].map((m) => ({
        instanceId: m.instanceId,
        groupName: group.name,
        lifecycleState: m.state,
      })),
      replacementsLaunched: [...group.replacements],
    };
  }

  enterStandby(groupName: string, instanceIds: readonly string[], decrement: boolean): MemberRecord[] {
    const group = this.requireGroup(groupName);
    const members = instanceIds.map((id) => this.requireMember(group, id));
    for (const member of members) {
      if (member.state !== "InService") {
        throw new AutoScalingError(
          "ValidationError",
          `The instance ${member.instanceId} is not in InService (it is in ${member.state}).`,
        );
      }
    }
    if (decrement && group.desiredCapacity - members.length < group.minSize) {
      throw new AutoScalingError(
        "ValidationError",
        `AutoScalingGroup ${group.name}: entering standby with ShouldDecrementDesiredCapacity would take the desired capacity below the minimum size (${group.minSize}).`,
      );
    }
    const at = this.now();
    for (const member of members) {
      member.state = "EnteringStandby";
      member.until = at + this.timings.enteringStandbyMs;
    }
    if (decrement) group.desiredCapacity -= members.length;
    // Without the decrement the group keeps its capacity by launching new instances at once.
    else for (let i = 0; i < members.length; i++) this.launchReplacement(group);
    return members;
  }

  exitStandby(groupName: string, instanceIds: readonly string[]): MemberRecord[] {
    const group = this.requireGroup(groupName);
    const members = instanceIds.map((id) => this.requireMember(group, id));
    for (const member of members) {
      if (member.state !== "Standby") {
        throw new AutoScalingError(
          "ValidationError",
          `The instance ${member.instanceId} is not in Standby (it is in ${member.state}).`,
        );
      }
    }
    if (group.desiredCapacity + members.length > group.maxSize) {
      throw new AutoScalingError(
        "ValidationError",
        `AutoScalingGroup ${group.name}: exiting standby would take the desired capacity above the maximum size (${group.maxSize}).`,
      );
    }
    const at = this.now();
    for (const member of members) {
      member.state = "Pending";
      member.until = at + this.timings.pendingMs;
    }
    group.desiredCapacity += members.length;
    return members;
  }

  /** CompleteLifecycleAction for an instance in Pending:Wait; with every hook done it goes InService. */
  completeLifecycleAction(groupName: string, hookName: string, instanceId: string): void {
    const group = this.requireGroup(groupName);
    if (!group.hooks.some((h) => h.name === hookName)) {
      throw new AutoScalingError("ValidationError", `No Lifecycle Hook found named ${hookName} on group ${groupName}.`);
    }
    const member = this.requireMember(group, instanceId);
    if (member.state !== "Pending:Wait" || !member.pendingHooks?.includes(hookName)) {
      throw new AutoScalingError("ValidationError", `No active Lifecycle Action found with instance ID ${instanceId}`);
    }
    member.pendingHooks = member.pendingHooks.filter((h) => h !== hookName);
    if (member.pendingHooks.length === 0) this.enterService(member);
  }

  /**
   * Completes transitions that are due, and runs the health check: an InService member whose
   * instance is stopping, stopped or gone is terminated and replaced.
   */
  settle(): void {
    const at = this.now();
    for (const group of this.groups.values()) {
      for (const member of group.members.values()) {
        this.settleMember(group, member, at);
        if (member.state !== "InService") continue;
        const instance = this.instances.get(member.instanceId);
        const state = instance?.state;
        if (state === "running" || state === "pending") continue;
        group.members.delete(member.instanceId);
        if (instance && state !== "terminated" && state !== "shutting-down") {
          this.instances.setState(instance, "shutting-down");
        }
        this.launchReplacement(group);
      }
    }
  }

  private settleMember(group: GroupRecord, member: MemberRecord, at: number): void {
    if (member.until === undefined || at < member.until) return;
    const due = member.until;
    if (member.state === "EnteringStandby") {
      member.state = "Standby";
      member.until = undefined;
      return;
    }
    if (member.state === "Pending") {
      const hooks = group.hooks.filter((h) => h.transition === LAUNCHING);
      if (hooks.length === 0) {
        this.enterService(member);
        return;
      }
      member.state = "Pending:Wait";
      member.pendingHooks = hooks.map((h) => h.name);
      member.until = due + Math.min(...hooks.map((h) => h.heartbeatSeconds)) * 1000;
      return;
    }
    // Pending:Wait ran into its heartbeat timeout: the default result (CONTINUE) lets it in.
    if (member.state === "Pending:Wait") this.enterService(member);
  }

  private enterService(member: MemberRecord): void {
    member.state = "InService";
    member.until = undefined;
    member.pendingHooks = undefined;
  }

  /** A new InService instance built from the group's launch template (its CpuOptions included). */
  private launchReplacement(group: GroupRecord): void {
    const spec = group.launchTemplate;
    const template = spec ? this.launchTemplates.find({ id: spec.launchTemplateId }) : undefined;
    const version = template ? this.launchTemplates.resolve(template, spec?.version) : undefined;
    const id = this.instances.add({
      instanceType: version?.instanceType ?? "m8i.large",
      state: "running",
      nestedVirtualization: version?.nestedVirtualization ?? "disabled",
      tags: { [GROUP_NAME_TAG]: group.name },
    });
    group.members.set(id, { instanceId: id, state: "InService" });
    group.replacements.push(id);
  }

  private requireGroup(name: string): GroupRecord {
    this.settle();
    const group = this.groups.get(name);
    if (!group) throw new AutoScalingError("ValidationError", `AutoScalingGroup name not found - ${name}`);
    return group;
  }

  private requireMember(group: GroupRecord, instanceId: string): MemberRecord {
    const member = group.members.get(instanceId);
    if (!member) {
      throw new AutoScalingError(
        "ValidationError",
        `The instance ${instanceId} is not part of Auto Scaling group ${group.name}.`,
      );
    }
    return member;
  }
}
