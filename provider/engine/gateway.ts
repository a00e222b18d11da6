import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  type Filter,
  type Instance,
  type InstanceStatus,
  type InstanceTypeInfo,
  type LaunchTemplateVersion,
  ModifyInstanceAttributeCommand,
  ModifyInstanceCpuOptionsCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { Batcher } from "./batcher";
import { InstanceCallBatcher } from "./call-batcher";
import { awsErrorCode, describeError } from "./errors";
import { GROUP_TAG_KEY } from "./group-slots";
import { PollBudget, SharedPoller } from "./poller";
import { FleetRetryStrategy, scopeRetriesByOperation, withRetryWindow } from "./retry";
import type { EC2_ACTIONS } from "./schema";
import type { AwsConnection, NestedVirtSetting } from "./types";

/** The EC2 actions that change something, and so are checked with DryRun before a cycle. */
export type MutatingAction = (typeof EC2_ACTIONS.change)[number];

/** How EC2 answered a DryRun; `answer` says what came back when it was neither yes nor an IAM no. */
export type DryRunVerdict =
  | { verdict: "permitted" }
  | { verdict: "denied" }
  | { verdict: "cannot-perform"; answer: string };

/** Attempts per call, including throttled ones; AWS_MAX_ATTEMPTS overrides it. */
const DEFAULT_MAX_ATTEMPTS = 25;

/** IDs per DescribeInstances, StopInstances, StartInstances, CreateTags or DeleteTags call: EC2's maximum. */
const MAX_IDS_PER_CALL = 1000;

/**
 * Lookups and mutating calls for different instances go out as one request once none has joined
 * for this long, or BATCH_MAX_WAIT_MS after the first.
 */
const BATCH_WINDOW_MS = 15;
export const BATCH_MAX_WAIT_MS = 100;

/**
 * A permitted DryRun verdict is reused for this long: an operation (one `pulumi up`, one
 * `terraform apply`) asks once per action and instance, at preview/plan or before the stop.
 */
export const PERMISSION_TTL_MS = 15 * 60_000;

/** A command input, marked with its retry window when it has one (see withRetryWindow). */
function windowed<T extends object>(input: T, retryWindowMs: number | undefined): T {
  return retryWindowMs === undefined ? input : withRetryWindow(input, retryWindowMs);
}

/** How long a launch template version read for one member serves the other members of its group. */
const TEMPLATE_VERSION_TTL_MS = 60_000;

/** Values per DescribeInstances filter: EC2 accepts up to 200. */
const MAX_FILTER_VALUES = 200;

/** DescribeInstanceStatus takes at most 100 explicit instance IDs. */
const MAX_STATUS_IDS_PER_CALL = 100;

/**
 * The only place that talks to EC2. Each method is one API call; retries of throttling and
 * transient errors happen inside the SDK's standard retry strategy.
 */
export class Ec2Gateway {
  private readonly instances = new Batcher<string, Instance>(
    (ids) => this.describeInstances(ids),
    MAX_IDS_PER_CALL,
    BATCH_WINDOW_MS,
    BATCH_MAX_WAIT_MS,
  );
  /** DescribeInstanceTypes takes up to 100 types. */
  private readonly instanceTypes = new Batcher<string, InstanceTypeInfo>(
    (types) => this.describeInstanceTypes(types),
    100,
    BATCH_WINDOW_MS,
  );
  /** Per tag key: lookups of that tag's value, batched like `instances`. */
  private readonly tagValues = new Map<string, Batcher<string, string>>();
  /** Per tag key: the region's instances carrying that tag with a given value (a rollout group's members). */
  private readonly taggedWith = new Map<string, Batcher<string, Instance[]>>();
  private readonly batches: InstanceCallBatcher;
  private readonly permitted = new Map<string, number>();
  /** All waits on this connection (its Session) share one budget of DescribeInstances calls… */
  private readonly describeInstancesBudget = new PollBudget();
  /** …and one of DescribeInstanceStatus calls (its own EC2 request bucket). */
  private readonly describeInstanceStatusBudget = new PollBudget();
  /** One polling loop per connection for every wait on instance state. */
  readonly instancePoller = new SharedPoller<Instance>({
    fetch: (ids) => this.describeInstances(ids),
    maxKeysPerCall: MAX_IDS_PER_CALL,
    budget: this.describeInstancesBudget,
  });
  /** One polling loop per connection for every wait for room in a rollout group shared across runs. */
  readonly groupPoller = new SharedPoller<Instance[]>({
    fetch: (groups) => this.describeTagged(GROUP_TAG_KEY, groups),
    maxKeysPerCall: MAX_FILTER_VALUES,
    budget: this.describeInstancesBudget,
  });
  /** One polling loop per connection for every health gate (status checks). */
  readonly statusPoller = new SharedPoller<InstanceStatus>({
    fetch: (ids) => this.describeInstanceStatuses(ids),
    maxKeysPerCall: MAX_STATUS_IDS_PER_CALL,
    budget: this.describeInstanceStatusBudget,
  });

  /** `retries` (the client's retry strategy) lets batches gather while EC2 throttles an operation. */
  constructor(
    readonly client: EC2Client,
    retries?: FleetRetryStrategy,
  ) {
    scopeRetriesByOperation(client);
    this.batches = new InstanceCallBatcher(
      BATCH_WINDOW_MS,
      MAX_IDS_PER_CALL,
      (operation) => (retries ? retries.nextSendAt(operation) : 0),
      BATCH_MAX_WAIT_MS,
    );
  }

  static connect(connection: AwsConnection): Ec2Gateway {
    const maxAttempts = Number(process.env.AWS_MAX_ATTEMPTS) || DEFAULT_MAX_ATTEMPTS;
    const retries = new FleetRetryStrategy(maxAttempts);
    return new Ec2Gateway(
      new EC2Client({
        ...(connection.region ? { region: connection.region } : {}),
        ...(connection.profile ? { profile: connection.profile } : {}),
        ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
        retryStrategy: retries,
      }),
      retries,
    );
  }

  async region(): Promise<string> {
    return await this.client.config.region();
  }

  /**
   * One instance, or undefined when EC2 does not know the ID (any more). Lookups made together are
   * sent as one DescribeInstances call.
   */
  describeInstance(instanceId: string): Promise<Instance | undefined> {
    return this.instances.load(instanceId);
  }

  /**
   * The value of the instance's tag `key`; undefined when it has none (or EC2 does not know the
   * instance). Lookups made together go out as one DescribeInstances filtered on the tag key, so
   * EC2 answers only for the instances that carry it: usually none, a short answer even for a fleet.
   */
  tagValue(instanceId: string, key: string): Promise<string | undefined> {
    let batcher = this.tagValues.get(key);
    if (!batcher) {
      batcher = new Batcher<string, string>(
        (ids) => this.describeTagValues(ids, key),
        MAX_IDS_PER_CALL,
        BATCH_WINDOW_MS,
        BATCH_MAX_WAIT_MS,
      );
      this.tagValues.set(key, batcher);
    }
    return batcher.load(instanceId);
  }

  private async describeTagValues(instanceIds: string[], key: string): Promise<Map<string, string>> {
    const carrying = await this.describeInstances(instanceIds, [{ Name: "tag-key", Values: [key] }]);
    const found = new Map<string, string>();
    for (const [id, instance] of carrying) {
      const value = instance.Tags?.find((t) => t.Key === key)?.Value;
      if (value !== undefined) found.set(id, value);
    }
    return found;
  }

  /** The instances EC2 knows among `instanceIds` (at most 1000), only those matching `filters` if given. */
  describeInstances(instanceIds: string[], filters?: Filter[]): Promise<Map<string, Instance>> {
    return this.knownOnly(instanceIds, async (ids) => {
      const out = await this.client.send(new DescribeInstancesCommand({ InstanceIds: ids, Filters: filters }));
      const found = new Map<string, Instance>();
      for (const instance of out.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
        if (instance.InstanceId) found.set(instance.InstanceId, instance);
      }
      return found;
    });
  }

  /**
   * Every instance matching `filters` (and among `instanceIds` when given), all pages. Unlike
   * describeInstances, an unknown ID fails the call: the caller named it and should hear so.
   */
  async listInstances(filters: Filter[], instanceIds?: readonly string[]): Promise<Instance[]> {
    const found: Instance[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(
        new DescribeInstancesCommand({
          Filters: filters,
          ...(instanceIds && instanceIds.length > 0
            ? { InstanceIds: [...instanceIds] }
            : { MaxResults: MAX_IDS_PER_CALL }),
          NextToken: nextToken,
        }),
      );
      for (const reservation of out.Reservations ?? []) found.push(...(reservation.Instances ?? []));
      nextToken = out.NextToken;
    } while (nextToken);
    return found;
  }

  /** Status checks of the instances EC2 knows among `instanceIds` (at most 100), in any state. */
  describeInstanceStatuses(instanceIds: string[]): Promise<Map<string, InstanceStatus>> {
    return this.knownOnly(instanceIds, async (ids) => {
      const out = await this.client.send(
        new DescribeInstanceStatusCommand({ InstanceIds: ids, IncludeAllInstances: true }),
      );
      const found = new Map<string, InstanceStatus>();
      for (const status of out.InstanceStatuses ?? []) if (status.InstanceId) found.set(status.InstanceId, status);
      return found;
    });
  }

  /** Runs a describe call; EC2 fails the whole call for unknown IDs and names them: ask again without them. */
  private async knownOnly<V>(
    instanceIds: string[],
    describe: (ids: string[]) => Promise<Map<string, V>>,
  ): Promise<Map<string, V>> {
    try {
      return await describe(instanceIds);
    } catch (error) {
      if (awsErrorCode(error) !== "InvalidInstanceID.NotFound" || instanceIds.length === 1) {
        if (awsErrorCode(error) === "InvalidInstanceID.NotFound") return new Map();
        throw error;
      }
      const unknown = new Set((error as Error).message.match(/i-[0-9a-f]+/g) ?? []);
      const rest = instanceIds.filter((id) => !unknown.has(id));
      if (unknown.size > 0 && rest.length < instanceIds.length)
        return rest.length > 0 ? this.knownOnly(rest, describe) : new Map();
      const half = Math.ceil(instanceIds.length / 2);
      const parts = await Promise.all(
        [instanceIds.slice(0, half), instanceIds.slice(half)].map((ids) => this.knownOnly(ids, describe)),
      );
      return new Map(parts.flatMap((m) => [...m]));
    }
  }

  /** One instance type's description; lookups made together are sent as one DescribeInstanceTypes call. */
  describeInstanceType(instanceType: string): Promise<InstanceTypeInfo | undefined> {
    return this.instanceTypes.load(instanceType);
  }

  /** The types EC2 knows among `instanceTypes`; an unknown one fails the call, so ask for the rest alone. */
  private async describeInstanceTypes(instanceTypes: string[]): Promise<Map<string, InstanceTypeInfo>> {
    try {
      const out = await this.client.send(
        new DescribeInstanceTypesCommand({
          InstanceTypes: instanceTypes as NonNullable<InstanceTypeInfo["InstanceType"]>[],
        }),
      );
      return new Map((out.InstanceTypes ?? []).map((info) => [info.InstanceType ?? "", info]));
    } catch (error) {
      if (awsErrorCode(error) !== "InvalidInstanceType") throw error;
      if (instanceTypes.length === 1) return new Map();
      const parts = await Promise.all(instanceTypes.map((type) => this.describeInstanceTypes([type])));
      return new Map(parts.flatMap((m) => [...m]));
    }
  }

  /** Launch template versions read lately: the members of one Auto Scaling group share one read. */
  private readonly templateVersions = new Map<
    string,
    { until: number; version: Promise<LaunchTemplateVersion | undefined> }
  >();

  /**
   * One version of a launch template (by ID or name; a number, `$Default` or `$Latest`), read once
   * per TEMPLATE_VERSION_TTL_MS for a whole fleet.
   */
  launchTemplateVersion(template: {
    id?: string;
    name?: string;
    version: string;
  }): Promise<LaunchTemplateVersion | undefined> {
    const key = JSON.stringify([template.id ?? "", template.name ?? "", template.version]);
    const cached = this.templateVersions.get(key);
    if (cached && cached.until > Date.now()) return cached.version;
    const version = this.client
      .send(
        new DescribeLaunchTemplateVersionsCommand({
          ...(template.id ? { LaunchTemplateId: template.id } : { LaunchTemplateName: template.name }),
          Versions: [template.version],
        }),
      )
      .then((out) => out.LaunchTemplateVersions?.[0]);
    version.catch(() => this.templateVersions.delete(key));
    this.templateVersions.set(key, { until: Date.now() + TEMPLATE_VERSION_TTL_MS, version });
    return version;
  }

  /**
   * Whether stop protection (the `disableApiStop` attribute) is on: StopInstances would be refused.
   * "Off" is remembered like a permitted DryRun, so Pulumi's `check` and the `create` after it read
   * it once; "on" is read again, as the user may turn it off. Should it be turned on in between, the
   * StopInstances of the cycle is refused before anything has stopped.
   */
  async isStopProtected(instanceId: string): Promise<boolean> {
    const key = `disableApiStop ${instanceId}`;
    if ((this.permitted.get(key) ?? 0) > Date.now()) return false;
    const out = await this.client.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: "disableApiStop" }),
    );
    const on = out.DisableApiStop?.Value === true;
    if (!on) this.permitted.set(key, Date.now() + PERMISSION_TTL_MS);
    return on;
  }

  /**
   * StopInstances, batched with other instances' stops issued at the same moment. `veto` is asked
   * as the batch goes out: an error from it withdraws this instance's stop (see InstanceCallBatcher).
   */
  stopInstance(instanceId: string, dryRun = false, veto?: () => Error | undefined): Promise<void> {
    return this.batches.call(
      `StopInstances ${dryRun}`,
      "StopInstances",
      instanceId,
      async (ids) => {
        await this.send(() => this.client.send(new StopInstancesCommand({ InstanceIds: ids, DryRun: dryRun })), dryRun);
      },
      veto,
    );
  }

  /**
   * StartInstances, batched like stopInstance. With `retryWindowMs` (the instance is down because
   * of the cycle), server and transient errors are retried for that long only (see withRetryWindow).
   */
  startInstance(instanceId: string, dryRun = false, retryWindowMs?: number): Promise<void> {
    const group = `StartInstances ${dryRun} ${retryWindowMs ?? ""}`;
    return this.batches.call(group, "StartInstances", instanceId, async (ids) => {
      const input = windowed({ InstanceIds: ids, DryRun: dryRun }, retryWindowMs);
      await this.send(() => this.client.send(new StartInstancesCommand(input)), dryRun);
    });
  }

  /** ModifyInstanceCpuOptions; `retryWindowMs` as for startInstance. */
  async modifyNestedVirtualization(
    instanceId: string,
    setting: NestedVirtSetting,
    dryRun = false,
    retryWindowMs?: number,
  ): Promise<void> {
    const input = windowed({ InstanceId: instanceId, NestedVirtualization: setting, DryRun: dryRun }, retryWindowMs);
    await this.send(() => this.client.send(new ModifyInstanceCpuOptionsCommand(input)), dryRun);
  }

  /**
   * ModifyInstanceAttribute of `disableApiStop` (stop protection on or off; see stop-protection.ts).
   * Forgets a remembered "off" read, so the next look at the attribute asks EC2 again.
   */
  async setStopProtection(instanceId: string, on: boolean, dryRun = false, retryWindowMs?: number): Promise<void> {
    if (!dryRun) this.permitted.delete(`disableApiStop ${instanceId}`);
    const input = windowed({ InstanceId: instanceId, DisableApiStop: { Value: on }, DryRun: dryRun }, retryWindowMs);
    await this.send(() => this.client.send(new ModifyInstanceAttributeCommand(input)), dryRun);
  }

  /** Makes one call; with DryRun, EC2's "would have succeeded" answer (DryRunOperation) resolves. */
  private async send(call: () => Promise<unknown>, dryRun: boolean): Promise<void> {
    try {
      await call();
    } catch (error) {
      if (!(dryRun && awsErrorCode(error) === "DryRunOperation")) throw error;
    }
  }

  /** CreateTags of one tag, batched with other instances getting the same tag and value. */
  createTag(instanceId: string, key: string, value: string, dryRun = false): Promise<void> {
    return this.createTags(instanceId, { [key]: value }, dryRun);
  }

  /** CreateTags of several tags in one call, batched with other instances getting the same tags. */
  createTags(instanceId: string, tags: Readonly<Record<string, string>>, dryRun = false): Promise<void> {
    const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    return this.batches.call(JSON.stringify(["CreateTags", list, dryRun]), "CreateTags", instanceId, async (ids) => {
      await this.send(
        () => this.client.send(new CreateTagsCommand({ Resources: ids, Tags: list, DryRun: dryRun })),
        dryRun,
      );
    });
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
    const list = tags.map((t) => ({ ...t }));
    return this.batches.call(JSON.stringify(["DeleteTags", list, dryRun]), "DeleteTags", instanceId, async (ids) => {
      await this.send(
        () => this.client.send(new DeleteTagsCommand({ Resources: ids, Tags: list, DryRun: dryRun })),
        dryRun,
      );
    });
  }

  /**
   * Every instance of the region carrying tag `key` with one of `values`, per value: one filtered
   * DescribeInstances (followed through its pages) for all the values asked together.
   */
  groupMembers(key: string, value: string): Promise<Instance[]> {
    let batcher = this.taggedWith.get(key);
    if (!batcher) {
      batcher = new Batcher<string, Instance[]>(
        (values) => this.describeTagged(key, values),
        MAX_FILTER_VALUES,
        BATCH_WINDOW_MS,
        BATCH_MAX_WAIT_MS,
      );
      this.taggedWith.set(key, batcher);
    }
    return batcher.load(value).then((found) => found ?? []);
  }

  private async describeTagged(key: string, values: string[]): Promise<Map<string, Instance[]>> {
    const found = new Map<string, Instance[]>(values.map((v) => [v, []]));
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: `tag:${key}`, Values: values }],
          MaxResults: MAX_IDS_PER_CALL,
          NextToken: nextToken,
        }),
      );
      for (const instance of out.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
        const value = instance.Tags?.find((t) => t.Key === key)?.Value;
        if (value !== undefined) found.get(value)?.push(instance);
      }
      nextToken = out.NextToken;
    } while (nextToken);
    return found;
  }

  /**
   * Asks EC2, with DryRun, whether the caller may perform `action` on the instance: `DryRunOperation`
   * means permitted, `UnauthorizedOperation` denied, and any other answer (an unknown action, an
   * unsupported operation, another 4xx or 5xx, a body that is not EC2's) means the endpoint cannot
   * perform the call. Throttling and transient errors are retried (the SDK's standard budget) before
   * the answer counts. A permitted verdict is remembered for the operation (see PERMISSION_TTL_MS),
   * so preview/plan and the apply that follows in the same process ask once; the others are asked
   * again, as the user may fix them.
   */
  async dryRunVerdict(action: MutatingAction, instanceId: string): Promise<DryRunVerdict> {
    const key = `${action} ${instanceId}`;
    if ((this.permitted.get(key) ?? 0) > Date.now()) return { verdict: "permitted" };
    try {
      await this.dryRunCall(action, instanceId);
    } catch (error) {
      if (awsErrorCode(error) === "UnauthorizedOperation") return { verdict: "denied" };
      return { verdict: "cannot-perform", answer: describeError(error) };
    }
    this.permitted.set(key, Date.now() + PERMISSION_TTL_MS);
    return { verdict: "permitted" };
  }

  /**
   * Takes a permitted verdict that another process of this operation found at `checkedAt` (the
   * Pulumi program's preflight) as if this process had asked: it holds until PERMISSION_TTL_MS after.
   */
  rememberPermitted(action: MutatingAction, instanceId: string, checkedAt: number): void {
    const key = `${action} ${instanceId}`;
    const until = checkedAt + PERMISSION_TTL_MS;
    if (until > (this.permitted.get(key) ?? 0)) this.permitted.set(key, until);
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
