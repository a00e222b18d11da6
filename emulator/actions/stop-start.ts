import { Ec2Error, incorrectState } from "../errors";
import type { InstanceRecord, InstanceStateName } from "../instances";
import { booleanParam, listParam } from "../query";
import { el, itemList, type XmlElement } from "../xml";
import type { ActionContext, ActionHandler } from "./context";
import { instanceStateXml } from "./instance-xml";
import { findInstances, instanceArn } from "./lookup";

interface StateChange {
  record: InstanceRecord;
  previous: InstanceStateName;
}

function requestedInstances(ctx: ActionContext): InstanceRecord[] {
  const ids = listParam(ctx.params, "InstanceId");
  if (ids.length === 0) throw new Ec2Error("MissingParameter", "The request must contain the parameter InstanceId");
  const records = findInstances(ctx.store, ids);
  ctx.authorize(records.map((r) => instanceArn(ctx.region, r.instanceId)));
  return records;
}

function stateChangesXml(changes: readonly StateChange[]): XmlElement[] {
  return [
    itemList(
      "instancesSet",
      changes.map(({ record, previous }) => [
        el("instanceId", record.instanceId),
        instanceStateXml("currentState", record.state),
        instanceStateXml("previousState", previous),
      ]),
      "element",
    ),
  ];
}

function assertStoppable(record: InstanceRecord, hibernate: boolean): void {
  const id = record.instanceId;
  if (record.disableApiStop) {
    throw new Ec2Error(
      "OperationNotPermitted",
      `The instance '${id}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`,
    );
  }
  if (record.spot) {
    throw new Ec2Error(
      "UnsupportedOperation",
      `You can't stop the Spot Instance '${id}' because it is associated with a one-time Spot Instance request. ` +
        "You can only stop Spot Instances associated with persistent Spot Instance requests.",
    );
  }
  if (record.rootDeviceType !== "ebs") {
    throw new Ec2Error(
      "UnsupportedOperation",
      `The instance '${id}' does not have an 'ebs' root device type and cannot be stopped.`,
    );
  }
  if (hibernate && !record.hibernationConfigured) {
    throw new Ec2Error(
      "UnsupportedHibernationConfiguration",
      `The instance '${id}' does not have hibernation configured. Hibernation must be enabled at launch.`,
    );
  }
  if (!["running", "stopping", "stopped"].includes(record.state)) {
    throw incorrectState(`The instance '${id}' is not in a state from which it can be stopped.`);
  }
}

function assertStartable(record: InstanceRecord): void {
  if (!["stopped", "pending", "running"].includes(record.state)) {
    throw incorrectState(`The instance '${record.instanceId}' is not in a state from which it can be started.`);
  }
}

// All instances are validated before any changes, so a failed call has no effect.
export const stopInstances: ActionHandler = (ctx) => {
  const hibernate = booleanParam(ctx.params, "Hibernate");
  booleanParam(ctx.params, "Force");
  const records = requestedInstances(ctx);
  for (const record of records) assertStoppable(record, hibernate);
  const changes = records.map((record) => ({ record, previous: record.state }));
  for (const { record } of changes) {
    if (record.state === "running") ctx.store.beginStop(record, hibernate);
  }
  return stateChangesXml(changes);
};

export const startInstances: ActionHandler = (ctx) => {
  const records = requestedInstances(ctx);
  records.forEach(assertStartable);
  const changes = records.map((record) => ({ record, previous: record.state }));
  for (const { record } of changes) {
    if (record.state === "stopped") ctx.store.beginStart(record);
  }
  return stateChangesXml(changes);
};
