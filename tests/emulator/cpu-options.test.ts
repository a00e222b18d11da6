import { DescribeInstancesCommand, ModifyInstanceCpuOptionsCommand } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { expectEc2Error, useEmulator } from "./helpers";

describe("emulator: ModifyInstanceCpuOptions", () => {
  const h = useEmulator();

  it("enables nested virtualization on a stopped supported instance and returns the options", async () => {
    const id = h.emulator.addInstance({ instanceType: "m8i.xlarge", state: "stopped" });
    const out = await h.client.send(
      new ModifyInstanceCpuOptionsCommand({ InstanceId: id, NestedVirtualization: "enabled" }),
    );
    expect(out).to.deep.include({ InstanceId: id, CoreCount: 2, ThreadsPerCore: 2, NestedVirtualization: "enabled" });
    const described = await h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(described.Reservations?.[0]?.Instances?.[0]?.CpuOptions?.NestedVirtualization).to.equal("enabled");
    expect(h.emulator.instance(id).nestedVirtualization).to.equal("enabled");
  });

  it("changes CoreCount and ThreadsPerCore within the type's limits", async () => {
    const id = h.emulator.addInstance({ instanceType: "c8i.4xlarge", state: "stopped" });
    const out = await h.client.send(
      new ModifyInstanceCpuOptionsCommand({ InstanceId: id, CoreCount: 4, ThreadsPerCore: 1 }),
    );
    expect(out).to.deep.include({ CoreCount: 4, ThreadsPerCore: 1, NestedVirtualization: "disabled" });
    await expectEc2Error(
      h.client.send(new ModifyInstanceCpuOptionsCommand({ InstanceId: id, CoreCount: 9 })),
      "InvalidParameterValue",
      /CoreCount/,
    );
    await expectEc2Error(
      h.client.send(new ModifyInstanceCpuOptionsCommand({ InstanceId: id, ThreadsPerCore: 3 })),
      "InvalidParameterValue",
      /ThreadsPerCore/,
    );
  });

  for (const state of ["running", "pending", "stopping"] as const) {
    it(`refuses while the instance is ${state}`, async () => {
      const id = h.emulator.addInstance({ state });
      await expectEc2Error(
        h.client.send(new ModifyInstanceCpuOptionsCommand({ InstanceId: id, NestedVirtualization: "enabled" })),
        "IncorrectInstanceState",
        `The instance '${id}' is not in the 'stopped' state.`,
      );
      expect(h.emulator.instance(id).nestedVirtualization).to.equal("disabled");
    });
  }

  it("refuses to enable on types without the nested-virtualization feature", async () => {
    for (const instanceType of ["m6i.large", "c7g.large", "t3.micro", "m8i.metal-48xl"]) {
      const id = h.emulator.addInstance({ instanceType, state: "stopped" });
      await expectEc2Error(
        h.client.send(new ModifyInstanceCpuOptionsCommand({ InstanceId: id, NestedVirtualization: "enabled" })),
        "UnsupportedOperation",
        new RegExp(`'${instanceType.replace(/\./g, "\\.")}' does not support nested virtualization`),
      );
    }
  });

  it("allows disabling on an unsupported type (a no-op)", async () => {
    const id = h.emulator.addInstance({ instanceType: "m6i.large", state: "stopped" });
    const out = await h.client.send(
      new ModifyInstanceCpuOptionsCommand({ InstanceId: id, NestedVirtualization: "disabled" }),
    );
    expect(out.NestedVirtualization).to.equal("disabled");
  });

  it("refuses nested virtualization on Windows with more than 192 vCPUs", async () => {
    const id = h.emulator.addInstance({ instanceType: "m8i.96xlarge", platform: "windows", state: "stopped" });
    await expectEc2Error(
      h.client.send(new ModifyInstanceCpuOptionsCommand({ InstanceId: id, NestedVirtualization: "enabled" })),
      "UnsupportedOperation",
      /192 vCPUs/,
    );
  });

  it("validates the id and the NestedVirtualization value", async () => {
    await expectEc2Error(
      h.client.send(
        new ModifyInstanceCpuOptionsCommand({ InstanceId: "i-0123456789abcdef0", NestedVirtualization: "enabled" }),
      ),
      "InvalidInstanceID.NotFound",
    );
    await expectEc2Error(
      h.client.send(new ModifyInstanceCpuOptionsCommand({ InstanceId: "i-xyz", NestedVirtualization: "enabled" })),
      "InvalidInstanceID.Malformed",
    );
    const id = h.emulator.addInstance({ state: "stopped" });
    await expectEc2Error(
      h.client.send(
        new ModifyInstanceCpuOptionsCommand({ InstanceId: id, NestedVirtualization: "sometimes" as "enabled" }),
      ),
      "InvalidParameterValue",
      /NestedVirtualization/,
    );
  });

  it("exposes out-of-band drift through DescribeInstances", async () => {
    const id = h.emulator.addInstance({ nestedVirtualization: "enabled" });
    h.emulator.setNestedVirtualization(id, "disabled");
    const out = await h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(out.Reservations?.[0]?.Instances?.[0]?.CpuOptions?.NestedVirtualization).to.equal("disabled");
  });
});
