import type { ActionHandler } from "./context";
import { describeInstanceAttribute } from "./describe-instance-attribute";
import { describeInstanceStatus } from "./describe-instance-status";
import { describeInstanceTypes } from "./describe-instance-types";
import { describeInstances } from "./describe-instances";
import { describeLaunchTemplateVersions } from "./describe-launch-template-versions";
import { modifyInstanceCpuOptions } from "./modify-cpu-options";
import { modifyInstanceAttribute } from "./modify-instance-attribute";
import { startInstances, stopInstances } from "./stop-start";
import { createTags, deleteTags } from "./tags";

export type { ActionContext, ActionHandler } from "./context";

export const ACTIONS: Readonly<Record<string, ActionHandler>> = {
  DescribeInstances: describeInstances,
  DescribeInstanceAttribute: describeInstanceAttribute,
  DescribeInstanceTypes: describeInstanceTypes,
  DescribeInstanceStatus: describeInstanceStatus,
  DescribeLaunchTemplateVersions: describeLaunchTemplateVersions,
  StopInstances: stopInstances,
  StartInstances: startInstances,
  ModifyInstanceCpuOptions: modifyInstanceCpuOptions,
  ModifyInstanceAttribute: modifyInstanceAttribute,
  CreateTags: createTags,
  DeleteTags: deleteTags,
};
