// Built-in instance type catalogue. Nested virtualization is offered, as EC2's user guide lists
// it, on the 8th-generation Intel families (C8i/M8i/R8i, their flex and "d" variants, X8i) and on
// the 7th-generation Intel families C7i, M7i, R7i, C7i-flex, M7i-flex and I7i, except bare-metal
// sizes, which expose VT-x natively and so don't list the feature. The engine never relies on
// this list: it reads ProcessorInfo.SupportedFeatures from DescribeInstanceTypes.

export type Architecture = "x86_64" | "arm64" | "i386" | "x86_64_mac" | "arm64_mac";

export const NESTED_VIRTUALIZATION_FEATURE = "nested-virtualization";

export interface InstanceTypeInfo {
  instanceType: string;
  defaultVCpus: number;
  defaultCores: number;
  defaultThreadsPerCore: number;
  memoryMiB: number;
  supportedArchitectures: Architecture[];
  /** ProcessorInfo.SupportedFeatures, e.g. ["nested-virtualization"]. */
  supportedFeatures: string[];
  /** Local NVMe instance storage in GB; undefined when the type has none. */
  instanceStorageGB?: number;
  bareMetal: boolean;
  /** "nitro" for virtualized types; undefined for bare metal (as EC2 reports). */
  hypervisor?: "nitro" | "xen";
  burstable?: boolean;
  hibernationSupported?: boolean;
  manufacturer?: string;
}

export function supportsNestedVirtualization(info: InstanceTypeInfo): boolean {
  return info.supportedFeatures.includes(NESTED_VIRTUALIZATION_FEATURE);
}

const SIZE_VCPUS: Record<string, number> = {
  large: 2,
  xlarge: 4,
  "2xlarge": 8,
  "4xlarge": 16,
  "8xlarge": 32,
  "12xlarge": 48,
  "16xlarge": 64,
  "24xlarge": 96,
  "32xlarge": 128,
  "48xlarge": 192,
  "96xlarge": 384,
  "metal-24xl": 96,
  "metal-48xl": 192,
  "metal-96xl": 384,
};

const STANDARD_SIZES = Object.keys(SIZE_VCPUS).filter((size) => size !== "metal-24xl");
const SEVENTH_GEN_SIZES = [
  ...STANDARD_SIZES.filter((size) => !/^(96xlarge|metal-96xl|32xlarge)$/.test(size)),
  "metal-24xl",
];
const FLEX_SIZES = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];
const MEMORY_GIB_PER_VCPU: Record<string, number> = { c: 2, m: 4, r: 8, i: 8, x: 16 };
/** Approximate local NVMe storage per vCPU of the families that have it. */
const STORAGE_GB_PER_VCPU: Record<string, number> = { c8id: 59.375, m8id: 59.375, r8id: 59.375, i7i: 234 };

/** A virtualized (or bare-metal) type of one of the Intel families with nested virtualization. */
function intelWithNestedVirtualization(family: string, size: string): InstanceTypeInfo {
  const vCpus = SIZE_VCPUS[size];
  if (vCpus === undefined) throw new Error(`unknown size ${size}`);
  const bareMetal = size.startsWith("metal");
  const storagePerVCpu = STORAGE_GB_PER_VCPU[family];
  return {
    instanceType: `${family}.${size}`,
    defaultVCpus: vCpus,
    defaultCores: vCpus / 2,
    defaultThreadsPerCore: 2,
    memoryMiB: vCpus * (MEMORY_GIB_PER_VCPU[family.charAt(0)] ?? 4) * 1024,
    supportedArchitectures: ["x86_64"],
    supportedFeatures: bareMetal ? [] : [NESTED_VIRTUALIZATION_FEATURE],
    instanceStorageGB: storagePerVCpu === undefined ? undefined : Math.floor(vCpus * storagePerVCpu),
    bareMetal,
    hypervisor: bareMetal ? undefined : "nitro",
    hibernationSupported: !bareMetal,
    manufacturer: "Intel",
  };
}

function builtInTypes(): InstanceTypeInfo[] {
  const types: InstanceTypeInfo[] = [];
  for (const family of ["c8i", "m8i", "r8i", "c8id", "m8id", "r8id", "x8i"]) {
    for (const size of STANDARD_SIZES) types.push(intelWithNestedVirtualization(family, size));
  }
  for (const family of ["c7i", "m7i", "r7i", "i7i"]) {
    for (const size of SEVENTH_GEN_SIZES) types.push(intelWithNestedVirtualization(family, size));
  }
  for (const family of ["c8i-flex", "m8i-flex", "r8i-flex", "c7i-flex", "m7i-flex"]) {
    for (const size of FLEX_SIZES) types.push(intelWithNestedVirtualization(family, size));
  }
  const unsupported = (
    instanceType: string,
    vCpus: number,
    threadsPerCore: number,
    memoryMiB: number,
    extra: Partial<InstanceTypeInfo> = {},
  ): InstanceTypeInfo => ({
    instanceType,
    defaultVCpus: vCpus,
    defaultCores: vCpus / threadsPerCore,
    defaultThreadsPerCore: threadsPerCore,
    memoryMiB,
    supportedArchitectures: ["x86_64"],
    supportedFeatures: [],
    bareMetal: false,
    hypervisor: "nitro",
    hibernationSupported: true,
    manufacturer: "Intel",
    ...extra,
  });
  types.push(
    unsupported("m6i.large", 2, 2, 8192),
    unsupported("c6i.xlarge", 4, 2, 8192),
    unsupported("t3.micro", 2, 2, 1024, { burstable: true }),
    unsupported("c7g.large", 2, 1, 4096, {
      supportedArchitectures: ["arm64"],
      manufacturer: "AWS",
      hibernationSupported: false,
    }),
  );
  return types;
}

export class InstanceTypeCatalogue {
  private readonly types = new Map<string, InstanceTypeInfo>();

  constructor() {
    for (const info of builtInTypes()) this.types.set(info.instanceType, info);
  }

  get(instanceType: string): InstanceTypeInfo | undefined {
    return this.types.get(instanceType);
  }

  /** Adds or replaces a type (tests use this for custom shapes). */
  add(info: InstanceTypeInfo): void {
    this.types.set(info.instanceType, { ...info });
  }

  list(): InstanceTypeInfo[] {
    return [...this.types.values()];
  }
}
