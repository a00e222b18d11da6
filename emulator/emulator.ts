import type http from "node:http";
import { AddressPool } from "./addresses";
import { AutoScalingGroups, type GroupSnapshot, type SeedGroup } from "./autoscaling/groups";
import { CallLog, type CallRecord } from "./calls";
import { InstanceTypeCatalogue, type InstanceTypeInfo } from "./catalogue";
import type { ControlTarget } from "./control";
import type { EmulatorState } from "./dispatch";
import { Faults } from "./faults";
import {
  type Durations,
  type InstanceSnapshot,
  type InstanceStateName,
  InstanceStore,
  type NestedVirtualization,
  type SeedInstance,
  type StateReason,
} from "./instances";
import { LaunchTemplateStore, type SeedLaunchTemplateVersion } from "./launch-templates";
import { Permissions } from "./permissions";
import { closeServer, createEmulatorServer, listen } from "./server";
import type { GuestSettings } from "./ssm/guest";
import { SsmService } from "./ssm/service";
import { type StateHistory, StateHistoryLog } from "./state-history";
import type { StatusCheckSettings, StatusChecks } from "./status-checks";

export interface EmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Time spent in "stopping" (and "shutting-down"); default 300 ms. */
  stoppingMs?: number;
  /** Time spent in "pending"; default 300 ms. */
  pendingMs?: number;
  /** Time from entering "running" until the status checks pass (DescribeInstanceStatus); default 300 ms. */
  statusCheckMs?: number;
  /** Default us-east-1. */
  region?: string;
  /**
   * Requests signed for another region see that region's instances, as a real regional endpoint
   * would: none (seeded instances live in `region`). Off by default, so any region reaches them.
   */
  regionScoped?: boolean;
  /** Time an Auto Scaling member spends in EnteringStandby, and in Pending after ExitStandby; default 100 ms each. */
  autoScalingTransitionMs?: number;
  /** Clock used for lazy state transitions and the call log; default Date.now (so fake timers apply). */
  now?: () => number;
}

const INSUFFICIENT_CAPACITY: StateReason = {
  code: "Server.InsufficientInstanceCapacity",
  message: "Server.InsufficientInstanceCapacity: Insufficient capacity.",
};

export class Ec2Emulator implements ControlTarget {
  readonly permissions = new Permissions();
  readonly faults: Faults;
  private readonly store: InstanceStore;
  private readonly catalogue = new InstanceTypeCatalogue();
  private readonly launchTemplates = new LaunchTemplateStore();
  /** Auto Scaling groups of the emulator's region (the endpoint answers Auto Scaling's API too). */
  readonly autoScalingGroups: AutoScalingGroups;
  private readonly callLog = new CallLog();
  private readonly history = new StateHistoryLog();
  private readonly server: http.Server;
  private endpointUrl: string | undefined;
  /** Systems Manager on the same endpoint: agents, Run Command, and what each guest shows. */
  readonly ssm: SsmService;

  constructor(private readonly options: EmulatorOptions = {}) {
    const now = options.now ?? (() => Date.now());
    const region = options.region ?? "us-east-1";
    this.store = this.newStore(region, this.history);
    this.faults = new Faults(
      {
        setStuckInStopping: (id, stuck) => this.store.setStuckInStopping(this.store.require(id), stuck),
        clearStuckInStopping: () => this.store.clearStuckInStopping(),
      },
      Math.random,
      now,
    );
    const transitionMs = options.autoScalingTransitionMs ?? 100;
    this.autoScalingGroups = new AutoScalingGroups(
      this.store,
      this.launchTemplates,
      now,
      { enteringStandbyMs: transitionMs, pendingMs: transitionMs },
      region,
    );
    const state: EmulatorState = {
      store: this.store,
      catalogue: this.catalogue,
      launchTemplates: this.launchTemplates,
      permissions: this.permissions,
      faults: this.faults,
      calls: this.callLog,
      region,
      storeIn: (other) => this.storeIn(other),
      now,
    };
    const autoScaling = {
      groups: this.autoScalingGroups,
      permissions: this.permissions,
      faults: this.faults,
      calls: this.callLog,
      launchTemplateName: (id: string) => this.launchTemplates.require(id).launchTemplateName,
      availabilityZone: `${region}a`,
      now,
    };
    this.ssm = new SsmService(state);
    this.server = createEmulatorServer({
      state,
      control: this,
      autoScaling,
      latencyMs: () => this.faults.latencyMillis,
      ssm: this.ssm,
      replyHoldMs: (action) => this.faults.replyHoldMillis(action),
    });
  }

  private readonly otherRegions = new Map<string, InstanceStore>();

  private storeIn(region: string): InstanceStore {
    const home = this.options.region ?? "us-east-1";
    if (!this.options.regionScoped || region === home) return this.store;
    let store = this.otherRegions.get(region);
    if (!store) {
      store = this.newStore(region, new StateHistoryLog());
      this.otherRegions.set(region, store);
    }
    return store;
  }

  private newStore(region: string, history: StateHistoryLog): InstanceStore {
    const options = this.options;
    return new InstanceStore({
      now: options.now ?? (() => Date.now()),
      region,
      catalogue: this.catalogue,
      addresses: new AddressPool(),
      statusCheckMs: options.statusCheckMs ?? 300,
      history,
      durations: { stoppingMs: options.stoppingMs ?? 300, pendingMs: options.pendingMs ?? 300 },
    });
  }

  /** e.g. http://127.0.0.1:4599 — pass as the EC2Client endpoint. */
  get endpoint(): string {
    if (this.endpointUrl === undefined) throw new Error("emulator is not listening");
    return this.endpointUrl;
  }

  async listen(): Promise<string> {
    const host = this.options.host ?? "127.0.0.1";
    const address = await listen(this.server, host, this.options.port ?? 0);
    const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
    this.endpointUrl = `http://${urlHost}:${address.port}`;
    return this.endpointUrl;
  }

  close(): Promise<void> {
    return this.server.listening ? closeServer(this.server) : Promise.resolve();
  }

  addInstance(seed: SeedInstance = {}): string {
    return this.store.add(seed);
  }

  /** The instance disappears: EC2 answers InvalidInstanceID.NotFound for it from now on. */
  removeInstance(id: string): void {
    this.store.remove(id);
  }

  instance(id: string): InstanceSnapshot {
    return this.store.snapshot(id);
  }

  instances(): InstanceSnapshot[] {
    return this.store.snapshots();
  }

  /** Out-of-band change (drift), regardless of instance state. */
  setNestedVirtualization(id: string, value: NestedVirtualization): void {
    this.store.require(id).nestedVirtualization = value;
  }

  /** Out-of-band state change; transitional states complete after the usual duration. */
  setState(id: string, state: InstanceStateName): void {
    this.store.setState(this.store.require(id), state);
  }

  /** How the instance's status checks end after each start: `impairedCheck` fails that check. */
  setStatusChecks(id: string, settings: StatusCheckSettings): void {
    this.store.setStatusChecks(this.store.require(id), settings);
  }

  /** The instance and system status checks now, as DescribeInstanceStatus reports them. */
  statusChecks(id: string): StatusChecks {
    return this.store.statusChecks(this.store.require(id));
  }

  /** Turns stop protection (the `disableApiStop` attribute) on or off. */
  setDisableApiStop(id: string, value: boolean): void {
    this.store.require(id).disableApiStop = value;
  }

  /** The next start of the instance fails: "pending", then back to "stopped" with this StateReason. */
  failNextStart(id: string, reason: StateReason = INSUFFICIENT_CAPACITY): void {
    this.failNextStarts(id, 1, reason);
  }

  /**
   * The next `count` starts of the instance fail (capacity by default): each is accepted, goes
   * "pending", then falls back to "stopped" with the StateReason. 0 clears it.
   */
  failNextStarts(id: string, count: number, reason: StateReason = INSUFFICIENT_CAPACITY): void {
    if (!(Number.isInteger(count) && count >= 0)) throw new Error(`count must be a whole number >= 0, got ${count}`);
    const record = this.store.require(id);
    record.startFailure = count > 0 ? { ...reason } : undefined;
    record.startFailuresLeft = count > 0 ? count : undefined;
  }

  /** This instance's own stopping/pending durations, for transitions that begin afterwards. */
  setTransitionDurations(id: string, durations: Partial<Durations>): void {
    this.store.setTransitionDurations(this.store.require(id), durations);
  }

  setTag(id: string, key: string, value: string): void {
    this.store.require(id).tags.set(key, value);
  }

  removeTag(id: string, key: string): void {
    this.store.require(id).tags.delete(key);
  }

  /** A launch template with these versions (numbered from 1, version 1 the default); returns its ID. */
  addLaunchTemplate(name: string, versions: readonly SeedLaunchTemplateVersion[] = [{}]): string {
    return this.launchTemplates.add(name, versions);
  }

  /** A new (latest) version of a launch template; returns its number. */
  addLaunchTemplateVersion(launchTemplateId: string, version: SeedLaunchTemplateVersion): number {
    return this.launchTemplates.addVersion(launchTemplateId, version);
  }

  /** An Auto Scaling group whose InService members are `seed.instanceIds` (tagged with the group's name). */
  addAutoScalingGroup(seed: SeedGroup): void {
    this.autoScalingGroups.add(seed);
  }

  /** The group's sizes, its members' lifecycle states and the instances it launched as replacements. */
  autoScalingGroup(name: string): GroupSnapshot {
    return this.autoScalingGroups.snapshot(name);
  }

  /** The guest as an in-guest check sees it (SSM agent, kvm modules). */
  guest(id: string): GuestSettings {
    return this.ssm.guest(id);
  }

  /** Changes what the guest shows: `{ ssmAgent: "none" }` (no managed agent), `{ kvmModule: false }` (no /dev/kvm). */
  setGuest(id: string, settings: Partial<GuestSettings>): GuestSettings {
    return this.ssm.setGuest(id, settings);
  }

  addInstanceType(info: InstanceTypeInfo): void {
    this.catalogue.add(info);
  }

  instanceType(name: string): InstanceTypeInfo | undefined {
    return this.catalogue.get(name);
  }

  /** Every state each instance has been in, with times; lazily completed transitions included. */
  stateHistory(instanceIds?: readonly string[]): StateHistory {
    this.store.all(); // settles transitions that have completed by now
    return this.history.history(instanceIds);
  }

  get calls(): readonly CallRecord[] {
    return this.callLog.calls;
  }

  mutatingCalls(): CallRecord[] {
    return this.callLog.mutatingCalls();
  }

  callCounts(): Record<string, number> {
    return this.callLog.callCounts();
  }

  resetCalls(): void {
    this.callLog.reset();
  }
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Ec2Emulator> {
  const emulator = new Ec2Emulator(options);
  await emulator.listen();
  return emulator;
}
