import { Ec2Error } from "../errors";
import type { InstanceRecord } from "../instances";
import { listParam, type QueryTag, tagsParam } from "../query";
import { el } from "../xml";
import type { ActionContext, ActionHandler } from "./context";
import { findInstances, instanceArn } from "./lookup";

const MAX_TAGS_PER_RESOURCE = 50;

function resolveResources(ctx: ActionContext): InstanceRecord[] {
  const ids = listParam(ctx.params, "ResourceId");
  if (ids.length === 0) throw new Ec2Error("MissingParameter", "The request must contain the parameter ResourceId");
  // Only instances are emulated; any other resource id is rejected like an unknown id.
  const foreign = ids.find((id) => !id.startsWith("i-"));
  if (foreign !== undefined) throw new Ec2Error("InvalidID", `The ID '${foreign}' is not valid`);
  const records = findInstances(ctx.store, ids);
  ctx.authorize(records.map((r) => instanceArn(ctx.region, r.instanceId)));
  return records;
}

function assertValidKeys(tags: readonly QueryTag[]): void {
  for (const { key } of tags) {
    if (key === "") throw new Ec2Error("InvalidParameterValue", "Tag key cannot be empty");
    if (key.length > 128)
      throw new Ec2Error("InvalidParameterValue", `Tag key exceeds the maximum length of 128 characters`);
    if (key.toLowerCase().startsWith("aws:")) {
      throw new Ec2Error("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use");
    }
  }
}

export const createTags: ActionHandler = (ctx) => {
  const tags = tagsParam(ctx.params);
  if (tags.length === 0) throw new Ec2Error("MissingParameter", "The request must contain the parameter Tag");
  assertValidKeys(tags);
  const records = resolveResources(ctx);
  for (const record of records) {
    const keys = new Set([...record.tags.keys(), ...tags.map((t) => t.key)]);
    if (keys.size > MAX_TAGS_PER_RESOURCE) {
      throw new Ec2Error("TagLimitExceeded", "The maximum number of tags per resource has been exceeded.");
    }
  }
  for (const record of records) {
    for (const { key, value } of tags) record.tags.set(key, value ?? "");
  }
  return [el("return", true)];
};

/** Without Tag.N every tag is removed; with a value only a matching value is removed. */
export const deleteTags: ActionHandler = (ctx) => {
  const tags = tagsParam(ctx.params);
  assertValidKeys(tags);
  const records = resolveResources(ctx);
  for (const record of records) {
    if (tags.length === 0) record.tags.clear();
    for (const { key, value } of tags) {
      if (value === undefined || record.tags.get(key) === value) record.tags.delete(key);
    }
  }
  return [el("return", true)];
};
