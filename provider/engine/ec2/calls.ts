import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplateVersionsCommand,
  type EC2Client,
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
import { awsErrorCode } from "../errors";
import { withRetryWindow } from "../retry";
import type { NestedVirtSetting } from "../types";
import { MAX_IDS_PER_CALL } from "./limits";

/** A tag to add (Key and Value) or to take off (Key, and Value when only that value may go). */
export interface TagSpec {
  Key: string;
  Value?: string;
}

/** A launch template version by template ID or name; `version` a number, `$Default` or `$Latest`. */
export interface TemplateRef {
  id?: string;
  name?: string;
  version: string;
}

/**
 * EC2's API as the engine calls it: each method is one request (or, for a list, its pages), no
 * batching and no memory. Throttling and transient errors are retried inside the SDK's retry
 * strategy; with `retryWindowMs` (an instance down because of the cycle) server and transient
 * errors are retried for that long only (see withRetryWindow). With `dryRun`, EC2's "would have
 * succeeded" answer (DryRunOperation) resolves.
 */
export class Ec2Calls {
  constructor(readonly client: EC2Client) {}

  /** The instances EC2 knows among `instanceIds` (at most 1000), only those matching `filters` if given. */
  describeInstances(instanceIds: string[], filters?: Filter[]): Promise<Map<string, Instance>> {
    return knownOnly(instanceIds, async (ids) => {
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

  /** Among `instanceIds`, the value of tag `key` of each instance that carries it (filtered on the key). */
  async describeTagValues(instanceIds: string[], key: string): Promise<Map<string, string>> {
    const carrying = await this.describeInstances(instanceIds, [{ Name: "tag-key", Values: [key] }]);
    const found = new Map<string, string>();
    for (const [id, instance] of carrying) {
      const value = instance.Tags?.find((t) => t.Key === key)?.Value;
      if (value !== undefined) found.set(id, value);
    }
    return found;
  }

  /** Per value: every instance of the region carrying tag `key` with that value, all pages. */
  async describeTagged(key: string, values: string[]): Promise<Map<string, Instance[]>> {
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

  /** Status checks of the instances EC2 knows among `instanceIds` (at most 100), in any state. */
  describeInstanceStatuses(instanceIds: string[]): Promise<Map<string, InstanceStatus>> {
    return knownOnly(instanceIds, async (ids) => {
      const out = await this.client.send(
        new DescribeInstanceStatusCommand({ InstanceIds: ids, IncludeAllInstances: true }),
      );
      const found = new Map<string, InstanceStatus>();
      for (const status of out.InstanceStatuses ?? []) if (status.InstanceId) found.set(status.InstanceId, status);
      return found;
    });
  }

  /** The types EC2 knows among `instanceTypes`; an unknown one fails the call, so ask for the rest alone. */
  async describeInstanceTypes(instanceTypes: string[]): Promise<Map<string, InstanceTypeInfo>> {
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

  /** One version of a launch template. */
  async describeLaunchTemplateVersion(template: TemplateRef): Promise<LaunchTemplateVersion | undefined> {
    const out = await this.client.send(
      new DescribeLaunchTemplateVersionsCommand({
        ...(template.id ? { LaunchTemplateId: template.id } : { LaunchTemplateName: template.name }),
        Versions: [template.version],
      }),
    );
    return out.LaunchTemplateVersions?.[0];
  }

  /** Whether stop protection (the `disableApiStop` attribute) is on. */
  async describeStopProtection(instanceId: string): Promise<boolean> {
    const out = await this.client.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: "disableApiStop" }),
    );
    return out.DisableApiStop?.Value === true;
  }

  async stopInstances(instanceIds: string[], dryRun: boolean): Promise<void> {
    await answered(this.client.send(new StopInstancesCommand({ InstanceIds: instanceIds, DryRun: dryRun })), dryRun);
  }

  async startInstances(instanceIds: string[], dryRun: boolean, retryWindowMs?: number): Promise<void> {
    const input = windowed({ InstanceIds: instanceIds, DryRun: dryRun }, retryWindowMs);
    await answered(this.client.send(new StartInstancesCommand(input)), dryRun);
  }

  async modifyCpuOptions(
    instanceId: string,
    setting: NestedVirtSetting,
    dryRun: boolean,
    retryWindowMs?: number,
  ): Promise<void> {
    const input = windowed({ InstanceId: instanceId, NestedVirtualization: setting, DryRun: dryRun }, retryWindowMs);
    await answered(this.client.send(new ModifyInstanceCpuOptionsCommand(input)), dryRun);
  }

  /** ModifyInstanceAttribute of `disableApiStop`. */
  async modifyStopProtection(instanceId: string, on: boolean, dryRun: boolean, retryWindowMs?: number): Promise<void> {
    const input = windowed({ InstanceId: instanceId, DisableApiStop: { Value: on }, DryRun: dryRun }, retryWindowMs);
    await answered(this.client.send(new ModifyInstanceAttributeCommand(input)), dryRun);
  }

  async createTags(instanceIds: string[], tags: readonly TagSpec[], dryRun: boolean): Promise<void> {
    const Tags = tags.map((t) => ({ ...t }));
    await answered(this.client.send(new CreateTagsCommand({ Resources: instanceIds, Tags, DryRun: dryRun })), dryRun);
  }

  async deleteTags(instanceIds: string[], tags: readonly TagSpec[], dryRun: boolean): Promise<void> {
    const Tags = tags.map((t) => ({ ...t }));
    await answered(this.client.send(new DeleteTagsCommand({ Resources: instanceIds, Tags, DryRun: dryRun })), dryRun);
  }
}

/** A command input, marked with its retry window when it has one (see withRetryWindow). */
function windowed<T extends object>(input: T, retryWindowMs: number | undefined): T {
  return retryWindowMs === undefined ? input : withRetryWindow(input, retryWindowMs);
}

/** Waits for a call; with DryRun, EC2's "would have succeeded" answer (DryRunOperation) resolves. */
async function answered(call: Promise<unknown>, dryRun: boolean): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(dryRun && awsErrorCode(error) === "DryRunOperation")) throw error;
  }
}

/** Runs a describe call; EC2 fails the whole call for unknown IDs and names them: ask again without them. */
async function knownOnly<V>(
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
      return rest.length > 0 ? knownOnly(rest, describe) : new Map();
    const half = Math.ceil(instanceIds.length / 2);
    const parts = await Promise.all(
      [instanceIds.slice(0, half), instanceIds.slice(half)].map((ids) => knownOnly(ids, describe)),
    );
    return new Map(parts.flatMap((m) => [...m]));
  }
}
