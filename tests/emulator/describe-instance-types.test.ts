import {
  DescribeInstanceTypesCommand,
  type DescribeInstanceTypesCommandInput,
  type InstanceTypeInfo,
  paginateDescribeInstanceTypes,
} from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { expectEc2Error, useEmulator } from "./helpers";

// The SDK types InstanceTypes as a closed enum; the emulator also serves custom names.
type InstanceTypeNames = NonNullable<DescribeInstanceTypesCommandInput["InstanceTypes"]>;
const typeNames = (names: string[]): InstanceTypeNames => names as InstanceTypeNames;

describe("emulator: DescribeInstanceTypes", () => {
  const h = useEmulator();

  async function describeTypes(names: string[]): Promise<InstanceTypeInfo[]> {
    const out = await h.client.send(new DescribeInstanceTypesCommand({ InstanceTypes: typeNames(names) }));
    return out.InstanceTypes ?? [];
  }

  async function describeType(name: string): Promise<InstanceTypeInfo> {
    const [info] = await describeTypes([name]);
    if (!info) throw new Error(`no ${name}`);
    return info;
  }

  it("round-trips vCPU, processor, storage, hypervisor and bare-metal fields", async () => {
    const t = await describeType("m8i.large");
    expect(t.InstanceType).to.equal("m8i.large");
    expect(t.VCpuInfo).to.deep.include({ DefaultVCpus: 2, DefaultCores: 1, DefaultThreadsPerCore: 2 });
    expect(t.ProcessorInfo?.SupportedArchitectures).to.deep.equal(["x86_64"]);
    expect(t.ProcessorInfo?.SupportedFeatures).to.deep.equal(["nested-virtualization"]);
    expect(t.InstanceStorageSupported).to.equal(false);
    expect(t.InstanceStorageInfo).to.equal(undefined);
    expect(t.Hypervisor).to.equal("nitro");
    expect(t.BareMetal).to.equal(false);
    expect(t.MemoryInfo?.SizeInMiB).to.equal(8192);
  });

  it("reports instance storage for the d variants", async () => {
    const t = await describeType("m8id.4xlarge");
    expect(t.InstanceStorageSupported).to.equal(true);
    expect(t.InstanceStorageInfo?.TotalSizeInGB).to.be.a("number").and.be.greaterThan(0);
    expect(t.ProcessorInfo?.SupportedFeatures).to.include("nested-virtualization");
  });

  it("covers the 8th-gen Intel families with nested virtualization except metal sizes", async () => {
    const supported = [
      "c8i.large",
      "m8i.48xlarge",
      "r8i.96xlarge",
      "c8i-flex.16xlarge",
      "m8i-flex.large",
      "r8i-flex.xlarge",
      "c8id.large",
      "r8id.96xlarge",
    ];
    for (const t of await describeTypes(supported)) {
      expect(t.ProcessorInfo?.SupportedFeatures, t.InstanceType).to.include("nested-virtualization");
      expect(t.BareMetal, t.InstanceType).to.equal(false);
    }
    const big = await describeType("m8i.96xlarge");
    expect(big.VCpuInfo?.DefaultVCpus).to.equal(384);
    const metal = await describeType("c8i.metal-48xl");
    expect(metal.BareMetal).to.equal(true);
    expect(metal.Hypervisor).to.equal(undefined);
    expect(metal.ProcessorInfo?.SupportedFeatures).to.equal(undefined);
  });

  it("lists the feature for the 7th-gen Intel families, I7i and X8i, as EC2 does, except metal sizes", async () => {
    const supported = [
      "c7i.large",
      "m7i.large",
      "r7i.48xlarge",
      "c7i-flex.large",
      "m7i-flex.16xlarge",
      "i7i.xlarge",
      "x8i.large",
      "x8i.96xlarge",
    ];
    const types = await describeTypes(supported);
    expect(types.map((t) => t.InstanceType)).to.deep.equal(supported);
    for (const t of types) {
      expect(t.ProcessorInfo?.SupportedFeatures, t.InstanceType).to.include("nested-virtualization");
    }
    expect(types[5]?.InstanceStorageSupported).to.equal(true);
    const [metal] = await describeTypes(["m7i.metal-24xl"]);
    expect(metal?.BareMetal).to.equal(true);
    expect(metal?.ProcessorInfo?.SupportedFeatures).to.equal(undefined);
  });

  it("lists the unsupported comparison types without the feature", async () => {
    const types = await describeTypes(["m6i.large", "c6i.xlarge", "t3.micro", "c7g.large"]);
    expect(types.map((t) => t.InstanceType)).to.deep.equal(["m6i.large", "c6i.xlarge", "t3.micro", "c7g.large"]);
    for (const t of types) expect(t.ProcessorInfo?.SupportedFeatures, t.InstanceType).to.equal(undefined);
    expect(types[3]?.ProcessorInfo?.SupportedArchitectures).to.deep.equal(["arm64"]);
    expect(types[3]?.VCpuInfo?.DefaultThreadsPerCore).to.equal(1);
  });

  it("rejects unknown types with InvalidInstanceType", async () => {
    await expectEc2Error(
      h.client.send(new DescribeInstanceTypesCommand({ InstanceTypes: typeNames(["m8i.large", "x9.huge"]) })),
      "InvalidInstanceType",
      /x9\.huge/,
    );
  });

  it("filters by processor-info.supported-features like the AWS CLI recipe", async () => {
    const out = await h.client.send(
      new DescribeInstanceTypesCommand({
        Filters: [
          { Name: "processor-info.supported-features", Values: ["nested-virtualization"] },
          { Name: "instance-type", Values: ["m8i.*"] },
        ],
      }),
    );
    const names = (out.InstanceTypes ?? []).map((t) => t.InstanceType);
    expect(names).to.include.members(["m8i.large", "m8i.96xlarge"]);
    expect(names).not.to.include("m8i.metal-48xl");
    expect(names.every((n) => n?.startsWith("m8i."))).to.equal(true);
  });

  it("paginates the whole catalogue", async () => {
    const names: string[] = [];
    for await (const page of paginateDescribeInstanceTypes({ client: h.client, pageSize: 50 }, {})) {
      names.push(...(page.InstanceTypes ?? []).map((t) => t.InstanceType ?? ""));
    }
    expect(names).to.include.members(["c8i.large", "r8id.metal-96xl", "t3.micro"]);
    expect(new Set(names).size).to.equal(names.length);
  });

  it("serves custom types added by tests", async () => {
    h.emulator.addInstanceType({
      instanceType: "x8n.large",
      defaultVCpus: 4,
      defaultCores: 2,
      defaultThreadsPerCore: 2,
      memoryMiB: 4096,
      supportedArchitectures: ["x86_64"],
      supportedFeatures: ["nested-virtualization", "amd-sev-snp"],
      instanceStorageGB: 50,
      bareMetal: false,
      hypervisor: "nitro",
    });
    const t = await describeType("x8n.large");
    expect(t.ProcessorInfo?.SupportedFeatures).to.deep.equal(["nested-virtualization", "amd-sev-snp"]);
    expect(t.InstanceStorageInfo?.TotalSizeInGB).to.equal(50);
    const id = h.emulator.addInstance({ instanceType: "x8n.large" });
    expect(h.emulator.instance(id).coreCount).to.equal(2);
  });
});
