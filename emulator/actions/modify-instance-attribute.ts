import { Ec2Error } from "../errors";
import { requiredParam } from "../query";
import { el } from "../xml";
import type { ActionHandler } from "./context";
import { findInstances, instanceArn } from "./lookup";

/** `true`/`false` as EC2's query protocol writes booleans; anything else is EC2's InvalidParameterValue. */
function booleanValue(name: string, raw: string): boolean {
  if (raw === "true" || raw === "false") return raw === "true";
  throw new Ec2Error(
    "InvalidParameterValue",
    `Value (${raw}) for parameter ${name} is invalid. Expecting true or false.`,
  );
}

/**
 * ModifyInstanceAttribute of stop protection, the one attribute the emulator models for it: in
 * either of EC2's forms, `DisableApiStop.Value=…` or `Attribute=disableApiStop&Value=…`. Like EC2,
 * it works in any state but terminated.
 */
export const modifyInstanceAttribute: ActionHandler = (ctx) => {
  const instanceId = requiredParam(ctx.params, "InstanceId");
  const structured = ctx.params.get("DisableApiStop.Value");
  const attribute = ctx.params.get("Attribute");
  const modelled = structured !== undefined || attribute === "disableApiStop";
  if (!modelled) {
    throw new Ec2Error(
      "InvalidParameterCombination",
      "The emulator models ModifyInstanceAttribute of disableApiStop only (DisableApiStop.Value, or Attribute=disableApiStop with Value).",
    );
  }
  const value = booleanValue("DisableApiStop", structured ?? requiredParam(ctx.params, "Value"));
  const [record] = findInstances(ctx.store, [instanceId]);
  if (!record) throw new Error("unreachable: findInstances returned nothing");
  ctx.authorize([instanceArn(ctx.region, instanceId)]);
  if (record.state === "terminated") {
    throw new Ec2Error(
      "IncorrectInstanceState",
      `The instance '${instanceId}' is not in a state from which it can be modified.`,
    );
  }
  record.disableApiStop = value;
  return [el("return", true)];
};
