import { ACCOUNT_ID } from "../constants";
import { Ec2Error } from "../errors";
import { type InstanceRecord, STATE_CODES } from "../instances";
import { filtersParam, integerParam, listParam, type QueryFilter, wildcardMatch } from "../query";
import { el, itemList } from "../xml";
import type { ActionHandler } from "./context";
import { instanceXml } from "./instance-xml";
import { describedInstances } from "./lookup";
import { paginate } from "./pagination";

type FieldReader = (record: InstanceRecord) => string[];

const FILTER_FIELDS: Record<string, FieldReader> = {
  "instance-id": (r) => [r.instanceId],
  "instance-type": (r) => [r.instanceType],
  "instance-state-name": (r) => [r.state],
  "instance-state-code": (r) => [String(STATE_CODES[r.state])],
  "instance-lifecycle": (r) => (r.spot ? ["spot"] : []),
  "ip-address": (r) => (r.publicIp ? [r.publicIp] : []),
  "tag-key": (r) => [...r.tags.keys()],
  "tag-value": (r) => [...r.tags.values()],
};

function fieldReader(name: string): FieldReader {
  if (name.startsWith("tag:")) {
    const key = name.slice("tag:".length);
    return (r) => (r.tags.has(key) ? [r.tags.get(key) ?? ""] : []);
  }
  const reader = FILTER_FIELDS[name];
  if (!reader) throw new Ec2Error("InvalidParameterValue", `The filter '${name}' is invalid`);
  return reader;
}

/** Filters AND together; a filter's values OR together and may use * and ? wildcards. */
function matchesAll(filters: readonly QueryFilter[], readers: readonly FieldReader[], record: InstanceRecord): boolean {
  return filters.every((filter, i) => {
    const actual = readers[i]?.(record) ?? [];
    return filter.values.some((pattern) => actual.some((value) => wildcardMatch(pattern, value)));
  });
}

export const describeInstances: ActionHandler = (ctx) => {
  const ids = listParam(ctx.params, "InstanceId");
  const filters = filtersParam(ctx.params);
  const readers = filters.map((filter) => fieldReader(filter.name));
  const maxResults = integerParam(ctx.params, "MaxResults");
  const candidates = describedInstances(ctx.store, ids, maxResults);
  ctx.authorize(["*"]);
  const matching = candidates.filter((record) => matchesAll(filters, readers, record));
  const page = paginate(matching, maxResults, ctx.params.get("NextToken"), { min: 5, max: 1000 });
  return [
    itemList(
      "reservationSet",
      page.items.map((record) => [
        el("reservationId", record.reservationId),
        el("ownerId", ACCOUNT_ID),
        itemList("groupSet", []),
        itemList("instancesSet", [instanceXml(record, ctx.catalogue, ctx.region)]),
      ]),
      "element",
    ),
    el("nextToken", page.nextToken),
  ];
};
