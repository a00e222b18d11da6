import {
  EC2Client,
  type Filter,
  type Instance,
  type InstanceStatus,
  type InstanceTypeInfo,
  type LaunchTemplateVersion,
} from "@aws-sdk/client-ec2";
import type { Veto } from "./batcher";
import { clientConfig } from "./client-config";
import { Ec2Calls, type TemplateRef } from "./ec2/calls";
import { Ec2Changes } from "./ec2/changes";
import { type DryRunVerdict, Ec2Permissions, type MutatingAction } from "./ec2/permissions";
import { Ec2Reads } from "./ec2/reads";
import type { SharedPoller } from "./poller";
import { FleetRetryStrategy, scopeRetriesByOperation } from "./retry";
import type { AwsConnection, NestedVirtSetting } from "./types";

export { BATCH_MAX_WAIT_MS } from "./batcher";
export { type DryRunVerdict, type MutatingAction, PERMISSION_TTL_MS } from "./ec2/permissions";

/**
 * The engine's one door to EC2, per connection: a facade over its three parts, which the rest of
 * the engine does not see — `ec2/calls.ts` (one SDK call each), `ec2/reads.ts` and `ec2/changes.ts`
 * (batching and polling shared by a fleet), `ec2/permissions.ts` (remembered DryRun verdicts and
 * stop protection).
 */
export class Ec2Gateway {
  private readonly calls: Ec2Calls;
  private readonly reads: Ec2Reads;
  private readonly changes: Ec2Changes;
  private readonly permissions: Ec2Permissions;

  /** `retries` (the client's retry strategy) lets batches gather while EC2 throttles an operation. */
  constructor(
    readonly client: EC2Client,
    retries?: FleetRetryStrategy,
  ) {
    scopeRetriesByOperation(client);
    this.calls = new Ec2Calls(client);
    this.reads = new Ec2Reads(this.calls);
    this.changes = new Ec2Changes(this.calls, retries);
    this.permissions = new Ec2Permissions(this.calls, (action, instanceId) => this.dryRunCall(action, instanceId));
  }

  static connect(connection: AwsConnection): Ec2Gateway {
    const retries = FleetRetryStrategy.fromEnvironment();
    return new Ec2Gateway(new EC2Client(clientConfig(connection, retries)), retries);
  }

  async region(): Promise<string> {
    return await this.client.config.region();
  }

  /** One polling loop per connection for every wait on instance state. */
  get instancePoller(): SharedPoller<Instance> {
    return this.reads.instancePoller;
  }

  /** One polling loop per connection for every wait for room in a rollout group shared across runs. */
  get groupPoller(): SharedPoller<Instance[]> {
    return this.reads.groupPoller;
  }

  /** One polling loop per connection for every health gate (status checks). */
  get statusPoller(): SharedPoller<InstanceStatus> {
    return this.reads.statusPoller;
  }

  /**
   * One instance, or undefined when EC2 does not know the ID (any more). Lookups made together are
   * sent as one DescribeInstances call.
   */
  describeInstance(instanceId: string): Promise<Instance | undefined> {
    return this.reads.describeInstance(instanceId);
  }

  /**
   * The value of the instance's tag `key`; undefined when it has none (or EC2 does not know the
   * instance). Lookups made together go out as one DescribeInstances filtered on the tag key, so
   * EC2 answers only for the instances that carry it: usually none, a short answer even for a fleet.
   */
  tagValue(instanceId: string, key: string): Promise<string | undefined> {
    return this.reads.tagValue(instanceId, key);
  }

  /** The instances EC2 knows among `instanceIds` (at most 1000), only those matching `filters` if given. */
  describeInstances(instanceIds: string[], filters?: Filter[]): Promise<Map<string, Instance>> {
    return this.calls.describeInstances(instanceIds, filters);
  }

  /**
   * Every instance matching `filters` (and among `instanceIds` when given), all pages. Unlike
   * describeInstances, an unknown ID fails the call: the caller named it and should hear so.
   */
  listInstances(filters: Filter[], instanceIds?: readonly string[]): Promise<Instance[]> {
    return this.calls.listInstances(filters, instanceIds);
  }

  /** One instance type's description; lookups made together are sent as one DescribeInstanceTypes call. */
  describeInstanceType(instanceType: string): Promise<InstanceTypeInfo | undefined> {
    return this.reads.describeInstanceType(instanceType);
  }

  /**
   * One version of a launch template (by ID or name; a number, `$Default` or `$Latest`), read once
   * in a while for a whole fleet.
   */
  launchTemplateVersion(template: TemplateRef): Promise<LaunchTemplateVersion | undefined> {
    return this.reads.launchTemplateVersion(template);
  }

  /** Whether stop protection is on (see Ec2Permissions.isStopProtected: "off" is remembered). */
  isStopProtected(instanceId: string): Promise<boolean> {
    return this.permissions.isStopProtected(instanceId);
  }

  /**
   * StopInstances, batched with other instances' stops issued at the same moment. `veto` is asked
   * as the batch goes out: an error from it withdraws this instance's stop.
   */
  stopInstance(instanceId: string, dryRun = false, veto?: Veto): Promise<void> {
    return this.changes.stop(instanceId, dryRun, veto);
  }

  /**
   * StartInstances, batched like stopInstance. With `retryWindowMs` (the instance is down because
   * of the cycle), server and transient errors are retried for that long only (see withRetryWindow).
   */
  startInstance(instanceId: string, dryRun = false, retryWindowMs?: number): Promise<void> {
    return this.changes.start(instanceId, dryRun, retryWindowMs);
  }

  /** ModifyInstanceCpuOptions; `retryWindowMs` as for startInstance. */
  modifyNestedVirtualization(
    instanceId: string,
    setting: NestedVirtSetting,
    dryRun = false,
    retryWindowMs?: number,
  ): Promise<void> {
    return this.calls.modifyCpuOptions(instanceId, setting, dryRun, retryWindowMs);
  }

  /**
   * ModifyInstanceAttribute of `disableApiStop` (stop protection on or off; see stop-protection.ts).
   * Forgets a remembered "off" read, so the next look at the attribute asks EC2 again.
   */
  setStopProtection(instanceId: string, on: boolean, dryRun = false, retryWindowMs?: number): Promise<void> {
    if (!dryRun) this.permissions.forgetStopProtection(instanceId);
    return this.calls.modifyStopProtection(instanceId, on, dryRun, retryWindowMs);
  }

  /** CreateTags of one tag, batched with other instances getting the same tag and value. */
  createTag(instanceId: string, key: string, value: string, dryRun = false): Promise<void> {
    return this.createTags(instanceId, { [key]: value }, dryRun);
  }

  /** CreateTags of several tags in one call, batched with other instances getting the same tags. */
  createTags(instanceId: string, tags: Readonly<Record<string, string>>, dryRun = false): Promise<void> {
    const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    return this.changes.createTags(instanceId, list, dryRun);
  }

  /**
   * DeleteTags of one key, batched with other instances losing the same key. With `value`, the tag
   * goes only while it still has that value, so another run's newer tag is left alone.
   */
  deleteTag(instanceId: string, key: string, value?: string, dryRun = false): Promise<void> {
    return this.deleteTags(instanceId, [value === undefined ? { Key: key } : { Key: key, Value: value }], dryRun);
  }

  /** DeleteTags of several tags in one call (each with or without its value), batched like deleteTag. */
  deleteTags(instanceId: string, tags: readonly { Key: string; Value?: string }[], dryRun = false): Promise<void> {
    return this.changes.deleteTags(instanceId, tags, dryRun);
  }

  /**
   * Every instance of the region carrying tag `key` with one of `values`, per value: one filtered
   * DescribeInstances (followed through its pages) for all the values asked together.
   */
  groupMembers(key: string, value: string): Promise<Instance[]> {
    return this.reads.groupMembers(key, value);
  }

  /** Whether the caller may perform `action` on the instance (see Ec2Permissions.dryRunVerdict). */
  dryRunVerdict(action: MutatingAction, instanceId: string): Promise<DryRunVerdict> {
    return this.permissions.dryRunVerdict(action, instanceId);
  }

  /** Takes a permitted verdict found by another process of this operation at `checkedAt`. */
  rememberPermitted(action: MutatingAction, instanceId: string, checkedAt: number): void {
    this.permissions.rememberPermitted(action, instanceId, checkedAt);
  }

  /** Resolves when EC2 answers that the call would have succeeded; batched across instances. */
  private dryRunCall(action: MutatingAction, instanceId: string): Promise<void> {
    switch (action) {
      case "StopInstances":
        return this.stopInstance(instanceId, true);
      case "StartInstances":
        return this.startInstance(instanceId, true);
      case "ModifyInstanceCpuOptions":
        return this.modifyNestedVirtualization(instanceId, "enabled", true);
      case "CreateTags":
        return this.createTag(instanceId, "nestedvirt:permission-check", "", true);
      case "DeleteTags":
        return this.deleteTag(instanceId, "nestedvirt:permission-check", undefined, true);
      case "ModifyInstanceAttribute":
        return this.setStopProtection(instanceId, true, true);
    }
  }
}
