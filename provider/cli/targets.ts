import type { Filter } from "@aws-sdk/client-ec2";
import { awsErrorCode, describeError } from "../engine/errors";
import { AUTO_SCALING_GROUP_TAG, findInstancesBy, type ListedInstance } from "../engine/finders";
import type { Ec2Gateway } from "../engine/gateway";
import { isInstanceId } from "../engine/inputs";
import { attribute } from "../engine/schema";
import { UsageError } from "./exit";
import { describeFilter, parseFilter } from "./filters";

/** The targets as the command line names them. */
export interface TargetFlags {
  filter?: string[];
  autoScalingGroup?: string[];
}

/**
 * What to act on: the instances `aws ec2 describe-instances --instance-ids … --filters …` would
 * return. Filters AND together, a filter's values OR; a group name is a filter on the tag EC2 puts
 * on every member (aws:autoscaling:groupName). IDs alone are taken as named.
 */
export interface TargetSelection {
  instanceIds: string[];
  filters: Filter[];
}

const INSTANCE_ID = attribute("instanceId").format;

/** A selection from the arguments, validated without any EC2 call. */
export function selectionOf(instanceIds: readonly string[], flags: TargetFlags): TargetSelection {
  const malformed = instanceIds.filter((id) => !isInstanceId(id));
  if (malformed.length > 0) {
    throw new UsageError(
      `${malformed.map((id) => JSON.stringify(id)).join(", ")} ${malformed.length === 1 ? "is not an instance ID" : "are not instance IDs"}: expected ${INSTANCE_ID?.rule}, such as ${INSTANCE_ID?.example}.`,
    );
  }
  const groups = flags.autoScalingGroup ?? [];
  const empty = groups.find((g) => g.trim() === "");
  if (empty !== undefined) throw new UsageError("--auto-scaling-group needs the group's name.");
  const filters = (flags.filter ?? []).map(parseFilter);
  if (groups.length > 0) filters.push({ Name: `tag:${AUTO_SCALING_GROUP_TAG}`, Values: groups });
  return { instanceIds: [...new Set(instanceIds)], filters };
}

export function isEmptySelection(selection: TargetSelection): boolean {
  return selection.instanceIds.length === 0 && selection.filters.length === 0;
}

/** Terminated instances linger in DescribeInstances; a filter or group means the live ones. */
const LIVE_STATES: Filter = { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] };

export function describeSelection(selection: TargetSelection): string {
  return [...selection.instanceIds, ...selection.filters.map((f) => `--filter ${describeFilter(f)}`)].join(" ");
}

/** What a selection names: the instance IDs and, when a filter listed them, the instances as read. */
export interface ResolvedTargets {
  instanceIds: string[];
  /** By ID: what the filtered DescribeInstances returned, so the plan needs no second read. */
  listed: ReadonlyMap<string, ListedInstance>;
}

/**
 * The instances a selection names, read with DescribeInstances (filters and groups only; named
 * IDs alone are left for the engine, which reports each one it cannot find). `extra` filters
 * narrow further (recover: only instances carrying a journal).
 */
export async function resolveSelection(
  gateway: Ec2Gateway,
  selection: TargetSelection,
  region: string,
  extra: Filter[] = [],
): Promise<ResolvedTargets> {
  if (selection.filters.length === 0 && extra.length === 0) {
    return { instanceIds: selection.instanceIds, listed: new Map() };
  }
  const names = new Set(selection.filters.map((f) => f.Name));
  const filters = [...selection.filters, ...extra, ...(names.has(LIVE_STATES.Name) ? [] : [LIVE_STATES])];
  try {
    const found = await findInstancesBy(gateway, filters, selection.instanceIds);
    return {
      instanceIds: found.map((l) => l.instance.InstanceId ?? ""),
      listed: new Map(found.map((l) => [l.instance.InstanceId ?? "", l])),
    };
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === "InvalidInstanceID.NotFound" || code === "InvalidInstanceID.Malformed") {
      throw new UsageError(`${describeError(error)} (region ${region}). Check the IDs and --region.`);
    }
    if (code === "InvalidParameterValue") {
      throw new UsageError(
        `EC2 refused the filters: ${describeError(error)}. Filter names are EC2's (tag:KEY, tag-key, instance-type, instance-state-name, …).`,
      );
    }
    throw error;
  }
}
