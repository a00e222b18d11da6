import type { DesiredInputs, EnumOf, WaitTimeouts } from "./schema";

export type { WaitTimeouts };

/** The two values EC2 accepts for the `NestedVirtualization` CPU option. */
export type NestedVirtSetting = EnumOf<"nestedVirtualization">;

/** What happens to the CPU option when the resource is deleted. */
export type OnDeleteBehaviour = EnumOf<"onDelete">;

/** EC2 instance lifecycle states, as DescribeInstances reports them. */
export type InstanceStateName = "pending" | "running" | "shutting-down" | "terminated" | "stopping" | "stopped";

/** What the resource's user declares, defaults applied: derived from the attribute table in schema.ts. */
export type DesiredState = DesiredInputs;

/** Facts about one instance type, from DescribeInstanceTypes (cached per type). */
export interface InstanceTypeFacts {
  instanceType: string;
  supportsNestedVirtualization: boolean;
  defaultVCpus: number;
  instanceStorageSupported: boolean;
  instanceStorageGiB: number;
}

/** A cycle interrupted before it finished, recorded as a tag on the instance itself. */
export interface CycleJournal {
  /** Run state before the cycle began; the recovery restores it. */
  priorState: "running" | "stopped";
  /** The setting the instance had before the cycle. */
  from: NestedVirtSetting;
  /** The setting the cycle was applying. */
  to: NestedVirtSetting;
  /** ISO timestamp of the moment the cycle began. */
  startedAt: string;
  /** The run holding the instance (a random token per apply); absent in pre-lease journals. */
  runToken?: string;
  /** ISO time until which that run may still be working; after it the cycle counts as interrupted. */
  leaseUntil?: string;
  /** How long the instance may sit unchanged in a settled state before the holder counts as gone. */
  stallMs?: number;
  /** The Auto Scaling group the cycle puts (or put) the instance in Standby in: whoever finishes the cycle returns it to service. */
  standbyGroup?: string;
  /** The cycle turns stop protection off (or did): whoever finishes it turns it on again. */
  stopProtectionLifted?: boolean;
}

/** A cycle that stopped the instance and failed at a call, recorded as a tag (see failed-cycle.ts). */
export interface FailedCycle {
  /** The setting the failed cycle was applying. */
  to: NestedVirtSetting;
  /** ISO time of the failure. */
  at: string;
  /** The EC2 call that failed, e.g. ModifyInstanceCpuOptions. */
  call: string;
  /** What came back, as the failed run reported it. */
  error: string;
}

/** A journal tag the engine cannot read: never acted upon, always a blocker. */
export interface UnreadableJournal {
  value: string;
  problem: string;
}

/** Everything the planner needs to know about an instance, read through the gateway. */
export interface InstanceFacts {
  instanceId: string;
  /** When EC2 described the instance (epoch ms), for facts read by a finder. */
  readAt?: number;
  instanceType: string;
  state: InstanceStateName;
  nestedVirtualization: NestedVirtSetting;
  coreCount?: number;
  threadsPerCore?: number;
  spot: boolean;
  hibernationConfigured: boolean;
  rootDeviceType: "ebs" | "instance-store";
  platform: "windows" | "linux";
  /** The auto-assigned public IPv4 address, when there is one that is not an Elastic IP. */
  ephemeralPublicIp?: string;
  tags: Record<string, string>;
  autoScalingGroupName?: string;
  journal?: CycleJournal;
  /** The journal tag exactly as read, for a DeleteTags that removes only that value. */
  journalTag?: string;
  unreadableJournal?: UnreadableJournal;
  /** An earlier cycle's failure recorded on the instance, with the tag's exact value. */
  failedCycle?: FailedCycle;
  failedCycleTag?: string;
  /** EC2's StateReason message (why the instance is in its state, e.g. a failed start). */
  stateReason?: string;
  type: InstanceTypeFacts;
}

/** One step of a cycle, in execution order. */
export type StepKind =
  | "write-journal"
  | "stop"
  | "wait-stopped"
  | "modify"
  | "start"
  | "wait-running"
  | "clear-journal"
  | "acquire-slot"
  | "wait-healthy"
  | "enter-standby"
  | "wait-standby"
  | "exit-standby"
  | "wait-in-service"
  | "verify-guest"
  | "lift-stop-protection"
  | "restore-stop-protection";

export interface Step {
  kind: StepKind;
  description: string;
}

export type WarningCode =
  | "public-ip-will-change"
  | "instance-store-data-lost"
  | "windows-vsm-disabled"
  | "auto-scaling-member"
  | "interrupted-cycle"
  | "other-cycle-in-progress"
  | "launch-template-without-nested-virtualization"
  | "stop-protection-lifted";

export interface PlanWarning {
  code: WarningCode;
  message: string;
}

export type BlockerCode =
  | "instance-not-found"
  | "instance-terminated"
  | "unsupported-instance-type"
  | "spot-instance"
  | "hibernation-configured"
  | "instance-store-root"
  | "windows-too-many-vcpus"
  | "auto-scaling-member"
  | "missing-permission"
  | "endpoint-cannot-cycle"
  | "earlier-cycle-failed"
  | "stop-protected"
  | "unreadable-journal"
  | "conflicting-cycle"
  | "auto-scaling-minimum-size"
  | "auto-scaling-unreadable"
  | "no-ssm-agent";

export interface PlanBlocker {
  code: BlockerCode;
  /** The user-facing attribute the blocker concerns, for property-level errors. */
  attribute?: "instanceId" | "nestedVirtualization" | "autoScaling" | "verifyInGuest" | "stopProtection";
  message: string;
}

/** The outcome of planning: what would happen, what the user should know, what prevents it. */
export interface CyclePlan {
  instanceId: string;
  currentSetting?: NestedVirtSetting;
  desiredSetting: NestedVirtSetting;
  /** Empty when the instance already has the desired setting (a no-op) or when blocked. */
  steps: Step[];
  warnings: PlanWarning[];
  blockers: PlanBlocker[];
  /** True when the instance has to be stopped (and so will be unavailable for a while). */
  causesDowntime: boolean;
  /** Another run's cycle with the same target holds the instance: wait for it, then plan again. */
  awaiting?: CycleJournal;
}

/** Timestamps and downtime of the last cycle the engine ran. */
export interface CycleTimings {
  stoppedAt?: string;
  modifiedAt: string;
  startedAt?: string;
  downtimeSeconds: number;
  /** When both status checks were `ok` (only when the cycle waited for them). */
  healthyAt?: string;
  /** Seconds the cycle waited for a slot in its rollout group (only in a group). */
  slotWaitSeconds?: number;
  /** When the check inside the guest confirmed nested virtualization (only with verifyInGuest). */
  guestVerifiedAt?: string;
  /** StartInstances calls made (more than one when a start failed for capacity and was retried). */
  startAttempts?: number;
}

/** What the engine reports about an instance after applying (or reading) the desired state. */
export interface EnablementState {
  instanceId: string;
  nestedVirtualization: NestedVirtSetting;
  instanceType: string;
  instanceState: InstanceStateName;
  warnings: string[];
  lastCycle?: CycleTimings;
}

/** Where and as whom to reach EC2; every field falls back to the standard AWS SDK chain. */
export interface AwsConnection {
  region?: string;
  profile?: string;
  endpoint?: string;
}
