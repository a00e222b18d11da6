import type { InstanceRecord } from "../instances";
import { booleanParam, integerParam, listParam } from "../query";
import { type CheckStatus, detailStatusOf } from "../status-checks";
import { el, itemList, type XmlElement } from "../xml";
import type { ActionContext, ActionHandler } from "./context";
import { instanceStateXml } from "./instance-xml";
import { describedInstances } from "./lookup";
import { paginate } from "./pagination";

function checkXml(name: string, status: CheckStatus): XmlElement {
  const detail = detailStatusOf(status);
  return el(name, [
    el("status", status),
    itemList("details", detail === undefined ? [] : [[el("name", "reachability"), el("status", detail)]]),
  ]);
}

function statusItem(ctx: ActionContext, record: InstanceRecord): XmlElement[] {
  const checks = ctx.store.statusChecks(record);
  return [
    el("instanceId", record.instanceId),
    el("availabilityZone", record.availabilityZone),
    instanceStateXml("instanceState", record.state),
    checkXml("systemStatus", checks.system),
    checkXml("instanceStatus", checks.instance),
  ];
}

/** Only running instances unless IncludeAllInstances=true, as EC2 does. */
export const describeInstanceStatus: ActionHandler = (ctx) => {
  const ids = listParam(ctx.params, "InstanceId");
  const includeAll = booleanParam(ctx.params, "IncludeAllInstances");
  const maxResults = integerParam(ctx.params, "MaxResults");
  const candidates = describedInstances(ctx.store, ids, maxResults);
  ctx.authorize(["*"]);
  const listed = candidates.filter((record) => includeAll || record.state === "running");
  const page = paginate(listed, maxResults, ctx.params.get("NextToken"), { min: 5, max: 1000 });
  return [
    itemList(
      "instanceStatusSet",
      page.items.map((record) => statusItem(ctx, record)),
      "element",
    ),
    el("nextToken", page.nextToken),
  ];
};
