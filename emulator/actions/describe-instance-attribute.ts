import { Ec2Error } from "../errors";
import type { InstanceRecord } from "../instances";
import { requiredParam } from "../query";
import { el, type XmlElement } from "../xml";
import type { ActionHandler } from "./context";
import { findInstances, instanceArn } from "./lookup";

/** The attributes the emulator models, each rendered as EC2 does: `<name><value>…</value></name>`. */
const ATTRIBUTES: Record<string, (record: InstanceRecord) => XmlElement> = {
  disableApiStop: (r) => el("disableApiStop", [el("value", r.disableApiStop)]),
  disableApiTermination: () => el("disableApiTermination", [el("value", false)]),
  instanceType: (r) => el("instanceType", [el("value", r.instanceType)]),
};

export const describeInstanceAttribute: ActionHandler = (ctx) => {
  const instanceId = requiredParam(ctx.params, "InstanceId");
  const attribute = requiredParam(ctx.params, "Attribute");
  const render = ATTRIBUTES[attribute];
  if (!render) {
    throw new Ec2Error(
      "InvalidParameterValue",
      `Value (${attribute}) for parameter attribute is invalid. Valid values are: ${Object.keys(ATTRIBUTES).join(", ")}`,
    );
  }
  const [record] = findInstances(ctx.store, [instanceId]);
  if (!record) throw new Error("unreachable: findInstances returned nothing");
  ctx.authorize([instanceArn(ctx.region, instanceId)]);
  return [el("instanceId", instanceId), render(record)];
};
