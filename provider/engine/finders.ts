import type { Filter, Instance, InstanceTypeInfo } from "@aws-sdk/client-ec2";
import { decodeFailedCycle, FAILED_CYCLE_TAG_KEY } from "./failed-cycle";
import type { Ec2Gateway } from "./gateway";
import { decodeJournal, JOURNAL_TAG_KEY } from "./journal";
import type {
  CycleJournal,
  FailedCycle,
  InstanceFacts,
  InstanceStateName,
  InstanceTypeFacts,
  UnreadableJournal,
} from "./types";

/** EC2 tags every member of an Auto Scaling group with the group's name. */
export const AUTO_SCALING_GROUP_TAG = "aws:autoscaling:groupName";
const NESTED_VIRTUALIZATION_FEATURE = "nested-virtualization";

export function toInstanceTypeFacts(info: InstanceTypeInfo): InstanceTypeFacts {
  return {
    instanceType: info.InstanceType ?? "unknown",
    supportsNestedVirtualization: (info.ProcessorInfo?.SupportedFeatures ?? []).includes(NESTED_VIRTUALIZATION_FEATURE),
    defaultVCpus: info.VCpuInfo?.DefaultVCpus ?? 0,
    instanceStorageSupported: info.InstanceStorageSupported === true,
    instanceStorageGiB: info.InstanceStorageInfo?.TotalSizeInGB ?? 0,
  };
}

/**
 * The instance types one connection's EC2 describes. Types never change their capabilities, so one
 * lookup per type serves a whole fleet; a Session keeps one of these with its gateway.
 */
export class InstanceTypes {
  private readonly byType = new Map<string, Promise<InstanceTypeFacts | undefined>>();

  constructor(private readonly gateway: Ec2Gateway) {}

  /** The type's facts; undefined when EC2 does not know the type. */
  factsOf(instanceType: string): Promise<InstanceTypeFacts | undefined> {
    let facts = this.byType.get(instanceType);
    if (!facts) {
      facts = this.gateway
        .describeInstanceType(instanceType)
        .then((info) => (info ? toInstanceTypeFacts(info) : undefined));
      // A failed lookup must not poison the cache for the rest of the fleet.
      facts.catch(() => this.byType.delete(instanceType));
      this.byType.set(instanceType, facts);
    }
    return facts;
  }
}

function tagsOf(instance: Instance): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of instance.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? "";
  return tags;
}

function journalFacts(value: string | undefined): {
  journal?: CycleJournal;
  journalTag?: string;
  unreadableJournal?: UnreadableJournal;
} {
  if (value === undefined) return {};
  const decoded = decodeJournal(value);
  return "journal" in decoded
    ? { journal: decoded.journal, journalTag: value }
    : { journalTag: value, unreadableJournal: { value, problem: decoded.problem } };
}

function failedCycleFacts(value: string | undefined): { failedCycle?: FailedCycle; failedCycleTag?: string } {
  const failedCycle = decodeFailedCycle(value);
  return value === undefined ? {} : { ...(failedCycle ? { failedCycle } : {}), failedCycleTag: value };
}

/** Builds the planner's view of an instance from EC2's description of it and of its type. */
export function toInstanceFacts(instance: Instance, type: InstanceTypeFacts): InstanceFacts {
  const tags = tagsOf(instance);
  const association = instance.NetworkInterfaces?.find((n) => n.Association?.PublicIp)?.Association;
  const publicIp = association?.PublicIp ?? instance.PublicIpAddress;
  // EC2 marks auto-assigned public addresses as owned by "amazon"; Elastic IPs carry the account.
  const isElastic = association ? association.IpOwnerId !== "amazon" : false;
  return {
    instanceId: instance.InstanceId ?? "",
    instanceType: instance.InstanceType ?? type.instanceType,
    state: (instance.State?.Name ?? "pending") as InstanceStateName,
    nestedVirtualization: instance.CpuOptions?.NestedVirtualization === "enabled" ? "enabled" : "disabled",
    coreCount: instance.CpuOptions?.CoreCount,
    threadsPerCore: instance.CpuOptions?.ThreadsPerCore,
    spot: instance.InstanceLifecycle === "spot",
    hibernationConfigured: instance.HibernationOptions?.Configured === true,
    rootDeviceType: instance.RootDeviceType === "instance-store" ? "instance-store" : "ebs",
    // PlatformDetails ("Windows BYOL", "Windows with SQL Server…") says it too, for endpoints without Platform.
    platform:
      instance.Platform?.toLowerCase() === "windows" || instance.PlatformDetails?.startsWith("Windows")
        ? "windows"
        : "linux",
    ephemeralPublicIp: publicIp && !isElastic ? publicIp : undefined,
    tags,
    autoScalingGroupName: tags[AUTO_SCALING_GROUP_TAG],
    ...journalFacts(tags[JOURNAL_TAG_KEY]),
    ...failedCycleFacts(tags[FAILED_CYCLE_TAG_KEY]),
    ...(instance.StateReason?.Message ? { stateReason: instance.StateReason.Message } : {}),
    type,
  };
}

/** Everything the planner needs about one instance; undefined when EC2 does not know it. */
export async function findInstanceFacts(
  gateway: Ec2Gateway,
  types: InstanceTypes,
  instanceId: string,
): Promise<InstanceFacts | undefined> {
  const instance = await gateway.describeInstance(instanceId);
  const readAt = Date.now();
  if (!instance) return undefined;
  return await instanceFactsOf(types, instance, readAt);
}

/** The facts of an instance DescribeInstances returned at `readAt` (by ID or by a filter). */
export async function instanceFactsOf(
  types: InstanceTypes,
  instance: Instance,
  readAt: number,
): Promise<InstanceFacts> {
  const instanceType = instance.InstanceType ?? "";
  const type = (await types.factsOf(instanceType)) ?? {
    instanceType,
    supportsNestedVirtualization: false,
    defaultVCpus: 0,
    instanceStorageSupported: false,
    instanceStorageGiB: 0,
  };
  return { ...toInstanceFacts(instance, type), readAt };
}

/** An instance as a DescribeInstances by filter returned it, and when: its facts need no second read. */
export interface ListedInstance {
  instance: Instance;
  readAt: number;
}

/**
 * The instances DescribeInstances returns for `filters` (EC2's filter names; filters AND together, a
 * filter's values OR), restricted to `instanceIds` when given, in EC2's order.
 */
export async function findInstancesBy(
  gateway: Ec2Gateway,
  filters: Filter[],
  instanceIds?: readonly string[],
): Promise<ListedInstance[]> {
  const instances = await gateway.listInstances(filters, instanceIds);
  const readAt = Date.now();
  return instances.filter((i) => i.InstanceId).map((instance) => ({ instance, readAt }));
}
