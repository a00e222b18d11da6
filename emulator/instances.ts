// Instance records and the lifecycle state machine. Transitions are timer-free:
// a transition started at t completes at t + duration, and every read "settles"
// the record against the clock, so fake clocks work and nothing leaks timers.

import { type AddressPool, randomHex, randomResourceId } from "./addresses";
import type { InstanceTypeCatalogue } from "./catalogue";
import type { StateHistoryLog } from "./state-history";
import { type StatusCheckName, type StatusCheckSettings, type StatusChecks, statusChecksOf } from "./status-checks";

export type InstanceStateName = "pending" | "running" | "shutting-down" | "terminated" | "stopping" | "stopped";
export type NestedVirtualization = "enabled" | "disabled";
export type PublicIpKind = "none" | "ephemeral" | "elastic";
export type RootDeviceType = "ebs" | "instance-store";
export type PlatformKind = "linux" | "windows";

export const STATE_CODES: Readonly<Record<InstanceStateName, number>> = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** Where each transitional state ends up. */
const TRANSITION_TARGETS: Partial<Record<InstanceStateName, InstanceStateName>> = {
  pending: "running",
  stopping: "stopped",
  "shutting-down": "terminated",
};

export const INSTANCE_ID_PATTERN = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

export interface SeedInstance {
  instanceId?: string;
  /** Default m8i.large. */
  instanceType?: string;
  /** Default running. */
  state?: InstanceStateName;
  /** Default disabled. */
  nestedVirtualization?: NestedVirtualization;
  spot?: boolean;
  hibernationConfigured?: boolean;
  rootDeviceType?: RootDeviceType;
  platform?: PlatformKind;
  /** Default ephemeral. */
  publicIp?: PublicIpKind;
  tags?: Record<string, string>;
  /** This instance's time in "stopping" (and "shutting-down"); default: the emulator-wide duration. */
  stoppingMs?: number;
  /** This instance's time in "pending"; default: the emulator-wide duration. */
  pendingMs?: number;
  /** Time from entering "running" until the status checks leave "initializing". */
  statusCheckMs?: number;
  /** The status check that ends "impaired" instead of "ok" after each start. */
  impairedStatusCheck?: StatusCheckName;
  /** Stop protection (the `disableApiStop` attribute): StopInstances is refused. Default false. */
  disableApiStop?: boolean;
}

/** Why a start failed, as EC2 reports it in StateReason (e.g. Server.InsufficientInstanceCapacity). */
export interface StateReason {
  code: string;
  message: string;
}

export class UnknownInstanceError extends Error {
  constructor(readonly instanceId: string) {
    super(`no such instance ${instanceId}`);
  }
}

export interface Durations {
  stoppingMs: number;
  pendingMs: number;
}

export interface InstanceRecord {
  readonly instanceId: string;
  readonly instanceType: string;
  state: InstanceStateName;
  transition?: { target: InstanceStateName; completesAt: number };
  coreCount: number;
  threadsPerCore: number;
  nestedVirtualization: NestedVirtualization;
  readonly spot: boolean;
  readonly spotInstanceRequestId?: string;
  readonly hibernationConfigured: boolean;
  readonly rootDeviceType: RootDeviceType;
  readonly platform: PlatformKind;
  readonly publicIpKind: PublicIpKind;
  publicIp?: string;
  elasticAllocationId?: string;
  readonly tags: Map<string, string>;
  launchTime: number;
  stoppingMs?: number;
  pendingMs?: number;
  stuckInStopping: boolean;
  /** When the instance last entered "running" (emulator clock); status checks count from here. */
  runningSince: number;
  statusChecks: StatusCheckSettings;
  stateTransitionReason: string;
  stateReason?: StateReason;
  disableApiStop: boolean;
  /** The next start goes through "pending" and falls back to "stopped" with this reason. */
  startFailure?: StateReason;
  /** How many starts in a row fail with `startFailure` (default 1). */
  startFailuresLeft?: number;
  readonly privateIp: string;
  readonly networkInterfaceId: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly reservationId: string;
  readonly imageId: string;
  readonly availabilityZone: string;
}

export interface InstanceSnapshot {
  instanceId: string;
  instanceType: string;
  state: InstanceStateName;
  stateCode: number;
  /** Pending lazy transition, if any (completesAt is ms on the emulator clock). */
  transition?: { target: InstanceStateName; completesAt: number };
  /** The durations this instance's next transitions take (its own, else the emulator-wide ones). */
  transitionDurations: Durations;
  coreCount: number;
  threadsPerCore: number;
  nestedVirtualization: NestedVirtualization;
  spot: boolean;
  hibernationConfigured: boolean;
  rootDeviceType: RootDeviceType;
  platform: PlatformKind;
  publicIpKind: PublicIpKind;
  publicIp?: string;
  elasticAllocationId?: string;
  privateIp: string;
  tags: Record<string, string>;
  launchTime: string;
  stuckInStopping: boolean;
  disableApiStop: boolean;
  stateReason?: StateReason;
}

export interface InstanceStoreOptions {
  now: () => number;
  durations: Durations;
  /** Time from entering "running" until the status checks pass (DescribeInstanceStatus). */
  statusCheckMs: number;
  region: string;
  catalogue: InstanceTypeCatalogue;
  addresses: AddressPool;
  history: StateHistoryLog;
}

export class InstanceStore {
  private readonly records = new Map<string, InstanceRecord>();
  // One VPC/subnet for everything keeps describe output stable and realistic.
  private readonly vpcId = randomResourceId("vpc");
  private readonly subnetId = randomResourceId("subnet");

  constructor(private readonly options: InstanceStoreOptions) {}

  add(seed: SeedInstance): string {
    checkDurations(seed);
    const instanceId = seed.instanceId ?? `i-${randomHex(17)}`;
    if (!INSTANCE_ID_PATTERN.test(instanceId)) throw new Error(`malformed instance id ${instanceId}`);
    if (this.records.has(instanceId)) throw new Error(`instance ${instanceId} already exists`);
    const instanceType = seed.instanceType ?? "m8i.large";
    const typeInfo = this.options.catalogue.get(instanceType);
    if (!typeInfo) throw new Error(`unknown instance type ${instanceType}; add it with addInstanceType first`);
    const publicIpKind = seed.publicIp ?? "ephemeral";
    const elastic = publicIpKind === "elastic" ? this.options.addresses.nextElasticIp() : undefined;
    const record: InstanceRecord = {
      instanceId,
      instanceType,
      state: "running",
      coreCount: typeInfo.defaultCores,
      threadsPerCore: typeInfo.defaultThreadsPerCore,
      nestedVirtualization: seed.nestedVirtualization ?? "disabled",
      spot: seed.spot ?? false,
      spotInstanceRequestId: seed.spot ? `sir-${randomHex(8)}` : undefined,
      hibernationConfigured: seed.hibernationConfigured ?? false,
      rootDeviceType: seed.rootDeviceType ?? "ebs",
      platform: seed.platform ?? "linux",
      publicIpKind,
      publicIp: elastic?.publicIp,
      elasticAllocationId: elastic?.allocationId,
      tags: new Map(Object.entries(seed.tags ?? {})),
      launchTime: this.now(),
      stoppingMs: seed.stoppingMs,
      pendingMs: seed.pendingMs,
      stuckInStopping: false,
      runningSince: this.now(),
      statusChecks: { statusCheckMs: seed.statusCheckMs, impairedCheck: seed.impairedStatusCheck },
      stateTransitionReason: "",
      disableApiStop: seed.disableApiStop ?? false,
      privateIp: this.options.addresses.nextPrivateIp(),
      networkInterfaceId: randomResourceId("eni"),
      subnetId: this.subnetId,
      vpcId: this.vpcId,
      reservationId: randomResourceId("r"),
      imageId: randomResourceId("ami"),
      availabilityZone: `${this.options.region}a`,
    };
    this.records.set(instanceId, record);
    const state = seed.state ?? "running";
    this.setState(record, state);
    // A seeded running instance has been up for a while: its checks have finished.
    if (state === "running") record.runningSince = Number.NEGATIVE_INFINITY;
    // A seeded stopping/shutting-down instance was running a moment ago.
    if (state === "stopping" || state === "shutting-down") this.ensureEphemeralIp(record);
    return instanceId;
  }

  /** Forgets the instance, as EC2 does some time after termination: it is then unknown (NotFound). */
  remove(instanceId: string): void {
    if (!this.records.delete(instanceId)) throw new UnknownInstanceError(instanceId);
  }

  /** The record with any completed transition applied, or undefined. */
  get(instanceId: string): InstanceRecord | undefined {
    const record = this.records.get(instanceId);
    if (record) this.settle(record);
    return record;
  }

  /** Like get() but throws a plain Error (for the programmatic/control API). */
  require(instanceId: string): InstanceRecord {
    const record = this.get(instanceId);
    if (!record) throw new UnknownInstanceError(instanceId);
    return record;
  }

  all(): InstanceRecord[] {
    const records = [...this.records.values()];
    for (const record of records) this.settle(record);
    return records;
  }

  snapshot(instanceId: string): InstanceSnapshot {
    return this.toSnapshot(this.require(instanceId));
  }

  snapshots(): InstanceSnapshot[] {
    return this.all().map((record) => this.toSnapshot(record));
  }

  /**
   * Gives one instance its own transition durations (benchmarks stagger a fleet this way). Applies
   * to transitions that begin afterwards; one already under way keeps its completion time.
   */
  setTransitionDurations(record: InstanceRecord, durations: Partial<Durations>): void {
    checkDurations(durations);
    if (durations.stoppingMs !== undefined) record.stoppingMs = durations.stoppingMs;
    if (durations.pendingMs !== undefined) record.pendingMs = durations.pendingMs;
  }

  /** Instance and system status check of the instance now, as DescribeInstanceStatus reports them. */
  statusChecks(record: InstanceRecord): StatusChecks {
    this.settle(record);
    return statusChecksOf(record, this.now(), this.options.statusCheckMs);
  }

  /** Changes how the instance's status checks end after its next start (and now, if running). */
  setStatusChecks(record: InstanceRecord, settings: StatusCheckSettings): void {
    this.settle(record);
    record.statusChecks = { ...record.statusChecks, ...settings };
  }

  beginStop(record: InstanceRecord, hibernate: boolean): void {
    this.beginTransition(record, "stopping");
    record.stateTransitionReason = `User initiated (${formatReasonTime(this.now())})`;
    record.stateReason = hibernate
      ? { code: "Client.UserInitiatedHibernate", message: "Client.UserInitiatedHibernate: User initiated hibernate" }
      : { code: "Client.UserInitiatedShutdown", message: "Client.UserInitiatedShutdown: User initiated shutdown" };
  }

  beginStart(record: InstanceRecord): void {
    this.beginTransition(record, "pending");
  }

  /** Out-of-band state change; transitional states complete after the usual duration. */
  setState(record: InstanceRecord, state: InstanceStateName): void {
    if (TRANSITION_TARGETS[state]) {
      this.beginTransition(record, state);
    } else {
      record.transition = undefined;
      this.enter(record, state);
    }
  }

  setStuckInStopping(record: InstanceRecord, stuck: boolean): void {
    this.settle(record);
    if (stuck) record.stuckInStopping = true;
    else this.unstick(record);
  }

  clearStuckInStopping(): void {
    for (const record of this.records.values()) {
      this.settle(record);
      this.unstick(record);
    }
  }

  // A stop held past its end completes now, not back when it would have ended.
  private unstick(record: InstanceRecord): void {
    if (record.stuckInStopping && record.transition) {
      record.transition.completesAt = Math.max(record.transition.completesAt, this.now());
    }
    record.stuckInStopping = false;
  }

  private now(): number {
    return this.options.now();
  }

  private beginTransition(record: InstanceRecord, transitional: InstanceStateName): void {
    const target = TRANSITION_TARGETS[transitional];
    if (!target) throw new Error(`${transitional} is not a transitional state`);
    this.enter(record, transitional);
    record.transition = { target, completesAt: this.now() + this.durationOf(record, transitional) };
  }

  private durationOf(record: InstanceRecord, transitional: InstanceStateName): number {
    const durations = this.durationsOf(record);
    return transitional === "pending" ? durations.pendingMs : durations.stoppingMs;
  }

  private durationsOf(record: InstanceRecord): Durations {
    const { durations } = this.options;
    return {
      stoppingMs: record.stoppingMs ?? durations.stoppingMs,
      pendingMs: record.pendingMs ?? durations.pendingMs,
    };
  }

  private toSnapshot(record: InstanceRecord): InstanceSnapshot {
    return { ...toSnapshot(record), transitionDurations: this.durationsOf(record) };
  }

  private settle(record: InstanceRecord): void {
    const transition = record.transition;
    if (!transition || this.now() < transition.completesAt) return;
    if (record.stuckInStopping && record.state === "stopping") return;
    record.transition = undefined;
    const failure = record.state === "pending" ? record.startFailure : undefined;
    if (failure) {
      // A failed launch falls back to "stopped" and says why in StateReason, as EC2 does.
      record.startFailuresLeft = (record.startFailuresLeft ?? 1) - 1;
      if (record.startFailuresLeft <= 0) {
        record.startFailure = undefined;
        record.startFailuresLeft = undefined;
      }
      this.enter(record, "stopped", transition.completesAt);
      record.stateTransitionReason = `Server.LaunchFailed (${formatReasonTime(transition.completesAt)})`;
      record.stateReason = failure;
      return;
    }
    this.enter(record, transition.target, transition.completesAt);
  }

  // Side effects of arriving in a state: EC2 hands out a fresh auto-assigned
  // public IP on every start and releases it on stop; an Elastic IP persists.
  private enter(record: InstanceRecord, state: InstanceStateName, at = this.now()): void {
    record.state = state;
    this.options.history.record(record.instanceId, state, at);
    switch (state) {
      case "pending":
        record.launchTime = this.now();
        record.stateTransitionReason = "";
        record.stateReason = undefined;
        this.ensureEphemeralIp(record);
        break;
      case "running":
        record.runningSince = at;
        this.ensureEphemeralIp(record);
        break;
      case "stopped":
        if (record.publicIpKind === "ephemeral") record.publicIp = undefined;
        break;
      case "terminated":
        record.publicIp = undefined;
        record.elasticAllocationId = undefined;
        break;
      default:
        break;
    }
  }

  private ensureEphemeralIp(record: InstanceRecord): void {
    if (record.publicIpKind === "ephemeral" && record.publicIp === undefined) {
      record.publicIp = this.options.addresses.nextEphemeralPublicIp();
    }
  }
}

function checkDurations(durations: Partial<Durations>): void {
  for (const key of ["stoppingMs", "pendingMs"] as const) {
    const value = durations[key];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new Error(`${key} must be a non-negative number of milliseconds, got ${value}`);
    }
  }
}

function toSnapshot(record: InstanceRecord): Omit<InstanceSnapshot, "transitionDurations"> {
  return {
    instanceId: record.instanceId,
    instanceType: record.instanceType,
    state: record.state,
    stateCode: STATE_CODES[record.state],
    transition: record.transition ? { ...record.transition } : undefined,
    coreCount: record.coreCount,
    threadsPerCore: record.threadsPerCore,
    nestedVirtualization: record.nestedVirtualization,
    spot: record.spot,
    hibernationConfigured: record.hibernationConfigured,
    rootDeviceType: record.rootDeviceType,
    platform: record.platform,
    publicIpKind: record.publicIpKind,
    publicIp: record.publicIp,
    elasticAllocationId: record.elasticAllocationId,
    privateIp: record.privateIp,
    tags: Object.fromEntries(record.tags),
    launchTime: new Date(record.launchTime).toISOString(),
    stuckInStopping: record.stuckInStopping,
    disableApiStop: record.disableApiStop,
    ...(record.stateReason ? { stateReason: { ...record.stateReason } } : {}),
  };
}

function formatReasonTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} GMT`;
}
