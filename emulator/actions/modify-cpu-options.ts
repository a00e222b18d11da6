import { supportsNestedVirtualization } from "../catalogue";
import { Ec2Error, incorrectState } from "../errors";
import type { NestedVirtualization } from "../instances";
import { integerParam, requiredParam } from "../query";
import { el } from "../xml";
import type { ActionHandler } from "./context";
import { findInstances, instanceArn } from "./lookup";

/** EC2 documents nested virtualization as unsupported on Windows with more than 192 vCPUs. */
const WINDOWS_NESTED_VCPU_LIMIT = 192;

function nestedVirtualizationParam(raw: string | undefined): NestedVirtualization | undefined {
  if (raw === undefined || raw === "enabled" || raw === "disabled") return raw;
  throw new Ec2Error(
    "InvalidParameterValue",
    `Value (${raw}) for parameter NestedVirtualization is invalid. Valid values are: enabled, disabled`,
  );
}

function assertInRange(name: string, value: number | undefined, max: number): void {
  if (value !== undefined && (value < 1 || value > max)) {
    throw new Ec2Error(
      "InvalidParameterValue",
      `Value (${value}) for parameter ${name} is invalid. Expecting a value between 1 and ${max}.`,
    );
  }
}

export const modifyInstanceCpuOptions: ActionHandler = (ctx) => {
  const instanceId = requiredParam(ctx.params, "InstanceId");
  const coreCount = integerParam(ctx.params, "CoreCount");
  const threadsPerCore = integerParam(ctx.params, "ThreadsPerCore");
  const nested = nestedVirtualizationParam(ctx.params.get("NestedVirtualization"));
  const [record] = findInstances(ctx.store, [instanceId]);
  if (!record) throw new Error("unreachable: findInstances returned nothing");
  ctx.authorize([instanceArn(ctx.region, instanceId)]);

  if (record.state !== "stopped") {
    throw incorrectState(`The instance '${instanceId}' is not in the 'stopped' state.`);
  }
  const typeInfo = ctx.catalogue.get(record.instanceType);
  if (!typeInfo) throw new Ec2Error("InternalError", `Unknown instance type ${record.instanceType}`);
  assertInRange("CoreCount", coreCount, typeInfo.defaultCores);
  assertInRange("ThreadsPerCore", threadsPerCore, typeInfo.defaultThreadsPerCore);
  if (nested === "enabled") {
    if (!supportsNestedVirtualization(typeInfo)) {
      throw new Ec2Error(
        "UnsupportedOperation",
        `The instance type '${record.instanceType}' does not support nested virtualization. ` +
          "Use an instance type whose ProcessorInfo.SupportedFeatures includes 'nested-virtualization'.",
      );
    }
    if (record.platform === "windows" && typeInfo.defaultVCpus > WINDOWS_NESTED_VCPU_LIMIT) {
      throw new Ec2Error(
        "UnsupportedOperation",
        `Nested virtualization is not supported on Windows instances with more than ` +
          `${WINDOWS_NESTED_VCPU_LIMIT} vCPUs ('${record.instanceType}').`,
      );
    }
  }

  if (coreCount !== undefined) record.coreCount = coreCount;
  if (threadsPerCore !== undefined) record.threadsPerCore = threadsPerCore;
  if (nested !== undefined) record.nestedVirtualization = nested;
  return [
    el("instanceId", record.instanceId),
    el("coreCount", record.coreCount),
    el("threadsPerCore", record.threadsPerCore),
    el("nestedVirtualization", record.nestedVirtualization),
  ];
};
