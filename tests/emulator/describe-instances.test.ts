import { DescribeInstancesCommand, type Instance, paginateDescribeInstances } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { ACCOUNT_ID } from "../../emulator";
import { type EmulatorHarness, expectEc2Error, useEmulator } from "./helpers";

async function describeOne(h: EmulatorHarness, instanceId: string): Promise<Instance> {
  const result = await h.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  expect(result.Reservations).to.have.length(1);
  const instances = result.Reservations?.[0]?.Instances ?? [];
  expect(instances).to.have.length(1);
  return instances[0] as Instance;
}

describe("emulator: DescribeInstances", () => {
  const h = useEmulator();

  it("round-trips every modelled field of a running Linux on-demand instance", async () => {
    const id = h.emulator.addInstance({
      instanceId: "i-0123456789abcdef0",
      instanceType: "c8i.2xlarge",
      nestedVirtualization: "enabled",
      hibernationConfigured: true,
      tags: { Name: "web", env: "prod" },
    });
    const i = await describeOne(h, id);
    const snapshot = h.emulator.instance(id);
    expect(i.InstanceId).to.equal("i-0123456789abcdef0");
    expect(i.InstanceType).to.equal("c8i.2xlarge");
    expect(i.State).to.deep.equal({ Code: 16, Name: "running" });
    expect(i.CpuOptions).to.deep.equal({ CoreCount: 4, ThreadsPerCore: 2, NestedVirtualization: "enabled" });
    expect(i.InstanceLifecycle).to.equal(undefined);
    expect(i.HibernationOptions).to.deep.equal({ Configured: true });
    expect(i.RootDeviceType).to.equal("ebs");
    expect(i.Platform).to.equal(undefined);
    expect(i.PlatformDetails).to.equal("Linux/UNIX");
    expect(i.PublicIpAddress).to.be.a("string").and.equal(snapshot.publicIp);
    expect(i.PublicDnsName).to.match(/^ec2-.*\.compute-1\.amazonaws\.com$/);
    expect(i.Tags).to.have.deep.members([
      { Key: "Name", Value: "web" },
      { Key: "env", Value: "prod" },
    ]);
    expect(i.LaunchTime).to.be.instanceOf(Date);
    expect(i.LaunchTime?.toISOString()).to.equal(snapshot.launchTime);
    expect(i.Placement?.AvailabilityZone).to.equal("us-east-1a");
    expect(i.Placement?.Tenancy).to.equal("default");
    expect(i.Architecture).to.equal("x86_64");
    const eni = i.NetworkInterfaces?.[0];
    expect(i.NetworkInterfaces).to.have.length(1);
    expect(eni?.Association).to.deep.include({ PublicIp: snapshot.publicIp, IpOwnerId: "amazon" });
    expect(eni?.PrivateIpAddress).to.equal(i.PrivateIpAddress);
    expect(eni?.Attachment?.DeviceIndex).to.equal(0);
    expect(i.PrivateDnsName ?? "").to.match(/^ip-172-31-.*\.ec2\.internal$/);
  });

  it("reports spot lifecycle, Windows platform, instance-store root and no public IP", async () => {
    const id = h.emulator.addInstance({
      spot: true,
      platform: "windows",
      rootDeviceType: "instance-store",
      publicIp: "none",
    });
    const i = await describeOne(h, id);
    expect(i.InstanceLifecycle).to.equal("spot");
    expect(i.SpotInstanceRequestId).to.match(/^sir-/);
    expect(i.Platform).to.equal("windows");
    expect(i.PlatformDetails).to.equal("Windows");
    expect(i.RootDeviceType).to.equal("instance-store");
    expect(i.PublicIpAddress).to.equal(undefined);
    expect(i.PublicDnsName).to.equal("");
    expect(i.NetworkInterfaces?.[0]?.Association).to.equal(undefined);
    expect(i.HibernationOptions).to.deep.equal({ Configured: false });
    expect(i.Tags).to.equal(undefined);
  });

  it("reports an Elastic IP as owned by the account, also while stopped", async () => {
    const id = h.emulator.addInstance({ publicIp: "elastic", state: "stopped" });
    const i = await describeOne(h, id);
    expect(i.State).to.deep.equal({ Code: 80, Name: "stopped" });
    expect(i.PublicIpAddress).to.equal(h.emulator.instance(id).publicIp);
    expect(i.NetworkInterfaces?.[0]?.Association).to.deep.include({
      PublicIp: i.PublicIpAddress,
      IpOwnerId: ACCOUNT_ID,
    });
    expect(h.emulator.instance(id).elasticAllocationId).to.match(/^eipalloc-/);
  });

  it("reports every state code", async () => {
    const expected = {
      pending: 0,
      running: 16,
      "shutting-down": 32,
      terminated: 48,
      stopping: 64,
      stopped: 80,
    } as const;
    for (const [name, code] of Object.entries(expected)) {
      const id = h.emulator.addInstance({ state: name as keyof typeof expected });
      const i = await describeOne(h, id);
      expect(i.State, name).to.deep.equal({ Code: code, Name: name });
    }
  });

  it("returns all instances without ids and an empty list when filters match nothing", async () => {
    const a = h.emulator.addInstance({});
    const b = h.emulator.addInstance({});
    const all = await h.client.send(new DescribeInstancesCommand({}));
    const ids = (all.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId);
    expect(ids).to.have.members([a, b]);
    const none = await h.client.send(
      new DescribeInstancesCommand({ Filters: [{ Name: "tag:Name", Values: ["nothing"] }] }),
    );
    expect(none.Reservations).to.deep.equal([]);
  });

  it("filters by instance-id, tag:KEY (with wildcards), tag-key and state", async () => {
    const web = h.emulator.addInstance({ tags: { Name: "web-1", team: "a" } });
    const db = h.emulator.addInstance({ tags: { Name: "db-1" }, state: "stopped" });
    const idsFor = async (filters: { Name: string; Values: string[] }[]): Promise<string[]> => {
      const out = await h.client.send(new DescribeInstancesCommand({ Filters: filters }));
      return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId ?? "");
    };
    expect(await idsFor([{ Name: "instance-id", Values: [db] }])).to.deep.equal([db]);
    expect(await idsFor([{ Name: "tag:Name", Values: ["web-1"] }])).to.deep.equal([web]);
    expect(await idsFor([{ Name: "tag:Name", Values: ["*-1"] }])).to.have.members([web, db]);
    expect(await idsFor([{ Name: "tag:Name", Values: ["web-?", "nope"] }])).to.deep.equal([web]);
    expect(await idsFor([{ Name: "tag-key", Values: ["team"] }])).to.deep.equal([web]);
    expect(await idsFor([{ Name: "instance-state-name", Values: ["stopped"] }])).to.deep.equal([db]);
    expect(
      await idsFor([
        { Name: "tag:Name", Values: ["*-1"] },
        { Name: "instance-state-name", Values: ["running"] },
      ]),
    ).to.deep.equal([web]);
  });

  it("combines InstanceIds with filters", async () => {
    const a = h.emulator.addInstance({ tags: { k: "v" } });
    const b = h.emulator.addInstance({});
    const out = await h.client.send(
      new DescribeInstancesCommand({ InstanceIds: [a, b], Filters: [{ Name: "tag:k", Values: ["v"] }] }),
    );
    expect(out.Reservations?.map((r) => r.Instances?.[0]?.InstanceId)).to.deep.equal([a]);
  });

  it("rejects unknown ids with InvalidInstanceID.NotFound", async () => {
    await expectEc2Error(
      h.client.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] })),
      "InvalidInstanceID.NotFound",
      "The instance ID 'i-0123456789abcdef0' does not exist",
    );
    const known = h.emulator.addInstance({});
    await expectEc2Error(
      h.client.send(new DescribeInstancesCommand({ InstanceIds: [known, "i-0aaaaaaaaaaaaaaaa", "i-bbbbbbbb"] })),
      "InvalidInstanceID.NotFound",
      "The instance IDs 'i-0aaaaaaaaaaaaaaaa, i-bbbbbbbb' do not exist",
    );
  });

  it("rejects malformed ids with InvalidInstanceID.Malformed", async () => {
    for (const bad of ["i-123", "i-0123456789ABCDEF0", "instance-1", "i-0123456789abcdef", ""]) {
      await expectEc2Error(
        h.client.send(new DescribeInstancesCommand({ InstanceIds: [bad] })),
        "InvalidInstanceID.Malformed",
        new RegExp(`Invalid id: "${bad}"`),
      );
    }
  });

  it("rejects unknown filter names like EC2", async () => {
    await expectEc2Error(
      h.client.send(new DescribeInstancesCommand({ Filters: [{ Name: "bogus", Values: ["x"] }] })),
      "InvalidParameterValue",
      "The filter 'bogus' is invalid",
    );
  });

  it("paginates with MaxResults/NextToken through the SDK paginator", async () => {
    const ids = Array.from({ length: 12 }, () => h.emulator.addInstance({}));
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeInstances({ client: h.client, pageSize: 5 }, {})) {
      pages++;
      seen.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId ?? ""));
    }
    expect(pages).to.equal(3);
    expect(seen).to.deep.equal(ids);
  });
});
