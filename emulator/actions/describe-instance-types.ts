import type { InstanceTypeInfo } from "../catalogue";
import { Ec2Error } from "../errors";
import { filtersParam, integerParam, listParam, type QueryFilter, wildcardMatch } from "../query";
import { el, itemList, scalarList, type XmlElement } from "../xml";
import type { ActionHandler } from "./context";
import { paginate } from "./pagination";

type FieldReader = (info: InstanceTypeInfo) => string[];

const FILTER_FIELDS: Record<string, FieldReader> = {
  "instance-type": (t) => [t.instanceType],
  "processor-info.supported-features": (t) => t.supportedFeatures,
  "processor-info.supported-architecture": (t) => t.supportedArchitectures,
  "bare-metal": (t) => [String(t.bareMetal)],
  hypervisor: (t) => (t.hypervisor ? [t.hypervisor] : []),
  "instance-storage-supported": (t) => [String(t.instanceStorageGB !== undefined)],
  "vcpu-info.default-vcpus": (t) => [String(t.defaultVCpus)],
};

function fieldReader(name: string): FieldReader {
  const reader = FILTER_FIELDS[name];
  if (!reader) throw new Ec2Error("InvalidParameterValue", `The filter '${name}' is invalid`);
  return reader;
}

function matchesAll(filters: readonly QueryFilter[], info: InstanceTypeInfo): boolean {
  return filters.every((filter) => {
    const actual = fieldReader(filter.name)(info);
    return filter.values.some((pattern) => actual.some((value) => wildcardMatch(pattern, value)));
  });
}

function instanceTypeXml(t: InstanceTypeInfo): XmlElement[] {
  const storage = t.instanceStorageGB;
  return [
    el("instanceType", t.instanceType),
    el("currentGeneration", true),
    el("freeTierEligible", t.instanceType === "t3.micro"),
    scalarList("supportedUsageClasses", ["on-demand", "spot"]),
    scalarList("supportedRootDeviceTypes", ["ebs"]),
    scalarList("supportedVirtualizationTypes", ["hvm"]),
    el("bareMetal", t.bareMetal),
    el("hypervisor", t.hypervisor),
    el("processorInfo", [
      scalarList("supportedArchitectures", t.supportedArchitectures),
      scalarList("supportedFeatures", t.supportedFeatures),
      el("manufacturer", t.manufacturer),
    ]),
    el("vCpuInfo", [
      el("defaultVCpus", t.defaultVCpus),
      el("defaultCores", t.defaultCores),
      el("defaultThreadsPerCore", t.defaultThreadsPerCore),
    ]),
    el("memoryInfo", [el("sizeInMiB", t.memoryMiB)]),
    el("instanceStorageSupported", storage !== undefined),
    el(
      "instanceStorageInfo",
      storage === undefined
        ? undefined
        : [
            el("totalSizeInGB", storage),
            itemList("disks", [[el("sizeInGB", storage), el("count", 1), el("type", "ssd")]]),
            el("nvmeSupport", "required"),
            el("encryptionSupport", "required"),
          ],
    ),
    el("hibernationSupported", t.hibernationSupported ?? false),
    el("burstablePerformanceSupported", t.burstable ?? false),
    el("dedicatedHostsSupported", true),
    el("autoRecoverySupported", storage === undefined && !t.bareMetal),
    scalarList("supportedBootModes", t.supportedArchitectures.includes("arm64") ? ["uefi"] : ["legacy-bios", "uefi"]),
  ];
}

export const describeInstanceTypes: ActionHandler = (ctx) => {
  const requested = listParam(ctx.params, "InstanceType");
  const filters = filtersParam(ctx.params);
  for (const filter of filters) fieldReader(filter.name);
  const unknown = requested.filter((name) => ctx.catalogue.get(name) === undefined);
  if (unknown.length > 0) {
    throw new Ec2Error(
      "InvalidInstanceType",
      `The following supplied instance types do not exist: [${unknown.join(", ")}]`,
    );
  }
  ctx.authorize(["*"]);
  const candidates =
    requested.length > 0
      ? [...new Set(requested)].map((name) => ctx.catalogue.get(name)).filter((t): t is InstanceTypeInfo => !!t)
      : ctx.catalogue.list();
  const matching = candidates.filter((t) => matchesAll(filters, t));
  const page = paginate(matching, integerParam(ctx.params, "MaxResults"), ctx.params.get("NextToken"), {
    min: 5,
    max: 100,
  });
  return [itemList("instanceTypeSet", page.items.map(instanceTypeXml), "element"), el("nextToken", page.nextToken)];
};
