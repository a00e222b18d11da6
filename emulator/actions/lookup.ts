// Shared validation for instance-id parameters.

import { ACCOUNT_ID } from "../constants";
import { Ec2Error, instanceIdMalformed, instanceNotFound } from "../errors";
import { INSTANCE_ID_PATTERN, type InstanceRecord, type InstanceStore } from "../instances";

export function assertWellFormedInstanceIds(ids: readonly string[]): void {
  const malformed = ids.find((id) => !INSTANCE_ID_PATTERN.test(id));
  if (malformed !== undefined) throw instanceIdMalformed(malformed);
}

/** Resolves every id or throws one NotFound naming all missing ids, as EC2 does. */
export function findInstances(store: InstanceStore, ids: readonly string[]): InstanceRecord[] {
  assertWellFormedInstanceIds(ids);
  const missing = ids.filter((id) => store.get(id) === undefined);
  if (missing.length > 0) throw instanceNotFound(missing);
  return [...new Set(ids)].map((id) => store.require(id));
}

/**
 * The records a Describe call looks at: the named instances, or all of them (paged by MaxResults,
 * which EC2 refuses together with explicit IDs).
 */
export function describedInstances(
  store: InstanceStore,
  ids: readonly string[],
  maxResults: number | undefined,
): InstanceRecord[] {
  if (maxResults !== undefined && ids.length > 0) {
    throw new Ec2Error(
      "InvalidParameterCombination",
      "The parameter instancesSet cannot be used with the parameter maxResults",
    );
  }
  return ids.length > 0 ? findInstances(store, ids) : store.all();
}

export function instanceArn(region: string, instanceId: string): string {
  return `arn:aws:ec2:${region}:${ACCOUNT_ID}:instance/${instanceId}`;
}
