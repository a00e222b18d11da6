import type { Instance, InstanceStatus, InstanceTypeInfo, LaunchTemplateVersion } from "@aws-sdk/client-ec2";
import { BATCH_WINDOW_MS, Batcher, GATHERED } from "../batcher";
import { GROUP_TAG_KEY } from "../group-slots";
import { PollBudget, SharedPoller } from "../poller";
import type { Ec2Calls, TemplateRef } from "./calls";
import { MAX_FILTER_VALUES, MAX_IDS_PER_CALL, MAX_STATUS_IDS_PER_CALL, MAX_TYPES_PER_CALL } from "./limits";

/** How long a launch template version read for one member serves the other members of its group. */
const TEMPLATE_VERSION_TTL_MS = 60_000;

/**
 * EC2 reads shared by a fleet: lookups made together go out as one call (see Batcher), every wait
 * on instance state, group room or status checks rides one polling loop per connection (see
 * SharedPoller), and a launch template version read for one member serves its group for a while.
 */
export class Ec2Reads {
  private readonly instances = new Batcher<string, Instance>({ maxBatch: MAX_IDS_PER_CALL, ...GATHERED });
  private readonly instanceTypes = new Batcher<string, InstanceTypeInfo>({
    maxBatch: MAX_TYPES_PER_CALL,
    windowMs: BATCH_WINDOW_MS,
  });
  /** Lookups of a tag's value, one batch per tag key. */
  private readonly tagValues = new Batcher<string, string>({ maxBatch: MAX_IDS_PER_CALL, ...GATHERED });
  /** Lookups of the instances carrying a tag with a given value (a rollout group's members), one batch per tag key. */
  private readonly taggedWith = new Batcher<string, Instance[]>({ maxBatch: MAX_FILTER_VALUES, ...GATHERED });
  /** Launch template versions read lately, by TemplateRef (as JSON): the members of one Auto Scaling group share one read. */
  private readonly templateVersions = new Map<
    string,
    { until: number; version: Promise<LaunchTemplateVersion | undefined> }
  >();

  /** All waits on this connection (its Session) share one budget of DescribeInstances calls… */
  private readonly describeInstancesBudget = new PollBudget();
  /** …and one of DescribeInstanceStatus calls (its own EC2 request bucket). */
  private readonly describeInstanceStatusBudget = new PollBudget();

  /** One polling loop per connection for every wait on instance state. */
  readonly instancePoller: SharedPoller<Instance>;
  /** One polling loop per connection for every wait for room in a rollout group shared across runs. */
  readonly groupPoller: SharedPoller<Instance[]>;
  /** One polling loop per connection for every health gate (status checks). */
  readonly statusPoller: SharedPoller<InstanceStatus>;

  constructor(private readonly calls: Ec2Calls) {
    this.instancePoller = new SharedPoller<Instance>({
      fetch: (ids) => this.calls.describeInstances(ids),
      maxKeysPerCall: MAX_IDS_PER_CALL,
      budget: this.describeInstancesBudget,
    });
    this.groupPoller = new SharedPoller<Instance[]>({
      fetch: (groups) => this.calls.describeTagged(GROUP_TAG_KEY, groups),
      maxKeysPerCall: MAX_FILTER_VALUES,
      budget: this.describeInstancesBudget,
    });
    this.statusPoller = new SharedPoller<InstanceStatus>({
      fetch: (ids) => this.calls.describeInstanceStatuses(ids),
      maxKeysPerCall: MAX_STATUS_IDS_PER_CALL,
      budget: this.describeInstanceStatusBudget,
    });
  }

  /** One instance, or undefined when EC2 does not know the ID (any more). */
  describeInstance(instanceId: string): Promise<Instance | undefined> {
    return this.instances.load(instanceId, (ids) => this.calls.describeInstances(ids));
  }

  /** The value of the instance's tag `key`; undefined when it has none (or EC2 does not know the instance). */
  tagValue(instanceId: string, key: string): Promise<string | undefined> {
    return this.tagValues.load(instanceId, (ids) => this.calls.describeTagValues(ids, key), key);
  }

  /** Every instance of the region carrying tag `key` with `value`. */
  groupMembers(key: string, value: string): Promise<Instance[]> {
    return this.taggedWith
      .load(value, (values) => this.calls.describeTagged(key, values), key)
      .then((found) => found ?? []);
  }

  describeInstanceType(instanceType: string): Promise<InstanceTypeInfo | undefined> {
    return this.instanceTypes.load(instanceType, (types) => this.calls.describeInstanceTypes(types));
  }

  /** One version of a launch template, read once per TEMPLATE_VERSION_TTL_MS for a whole fleet. */
  launchTemplateVersion(template: TemplateRef): Promise<LaunchTemplateVersion | undefined> {
    const key = JSON.stringify([template.id ?? "", template.name ?? "", template.version]);
    const cached = this.templateVersions.get(key);
    if (cached && cached.until > Date.now()) return cached.version;
    const version = this.calls.describeLaunchTemplateVersion(template);
    version.catch(() => this.templateVersions.delete(key));
    this.templateVersions.set(key, { until: Date.now() + TEMPLATE_VERSION_TTL_MS, version });
    return version;
  }
}
