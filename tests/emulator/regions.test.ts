import { DescribeInstancesCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { ec2Client, expectEc2Error, useEmulator } from "./helpers";

describe("emulator: regions told apart (regionScoped)", () => {
  const ctx = useEmulator({ regionScoped: true });

  it("answers a request signed for its own region with its instances", async () => {
    const id = ctx.emulator.addInstance({ instanceType: "m8i.large" });
    const out = await ctx.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(out.Reservations?.[0]?.Instances?.[0]?.InstanceId).to.equal(id);
  });

  it("knows none of them in another region, as another regional endpoint would", async () => {
    const id = ctx.emulator.addInstance({ instanceType: "m8i.large" });
    const elsewhere = ec2Client(ctx.emulator, { region: "eu-west-1" });
    try {
      await expectEc2Error(
        elsewhere.send(new DescribeInstancesCommand({ InstanceIds: [id] })),
        "InvalidInstanceID.NotFound",
      );
      const all = await elsewhere.send(new DescribeInstancesCommand({}));
      expect(all.Reservations ?? []).to.deep.equal([]);
      await expectEc2Error(
        elsewhere.send(new StopInstancesCommand({ InstanceIds: [id] })),
        "InvalidInstanceID.NotFound",
      );
      expect(ctx.emulator.instance(id).state).to.equal("running");
    } finally {
      elsewhere.destroy();
    }
  });
});

describe("emulator: regions not told apart (the default)", () => {
  const ctx = useEmulator();

  it("answers a request signed for any region with its instances", async () => {
    const id = ctx.emulator.addInstance({ instanceType: "m8i.large" });
    const elsewhere = ec2Client(ctx.emulator, { region: "eu-west-1" });
    try {
      const out = await elsewhere.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      expect(out.Reservations?.[0]?.Instances?.[0]?.InstanceId).to.equal(id);
    } finally {
      elsewhere.destroy();
    }
  });
});
