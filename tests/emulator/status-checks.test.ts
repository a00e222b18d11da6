import { DescribeInstanceStatusCommand, type EC2Client, StartInstancesCommand } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { type Ec2Emulator, startEmulator } from "../../emulator";
import { ec2Client, expectEc2Error, ManualClock } from "./helpers";

async function checksOf(client: EC2Client, id: string) {
  const out = await client.send(new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true }));
  const status = out.InstanceStatuses?.[0];
  return {
    state: status?.InstanceState?.Name,
    instance: status?.InstanceStatus?.Status,
    system: status?.SystemStatus?.Status,
    instanceDetail: status?.InstanceStatus?.Details?.[0]?.Status,
  };
}

describe("emulator: DescribeInstanceStatus (manual clock)", () => {
  const clock = new ManualClock();
  let emulator: Ec2Emulator;
  let client: EC2Client;

  beforeEach(async () => {
    emulator = await startEmulator({ stoppingMs: 1000, pendingMs: 1000, statusCheckMs: 5000, now: clock.now });
    client = ec2Client(emulator);
  });
  afterEach(() => emulator.close());

  it("reports a seeded running instance as ok and a stopped one as not-applicable, with details only from EC2's StatusType enum", async () => {
    const running = emulator.addInstance({ state: "running" });
    const stopped = emulator.addInstance({ state: "stopped" });
    expect(await checksOf(client, running)).to.deep.equal({
      state: "running",
      instance: "ok",
      system: "ok",
      instanceDetail: "passed",
    });
    expect(await checksOf(client, stopped)).to.deep.equal({
      state: "stopped",
      instance: "not-applicable",
      system: "not-applicable",
      instanceDetail: undefined,
    });
    const detailStatuses = new Set(["passed", "failed", "insufficient-data", "initializing"]);
    await client.send(new StartInstancesCommand({ InstanceIds: [stopped] }));
    for (const advance of [0, 1000, 5000]) {
      clock.advance(advance);
      const out = await client.send(new DescribeInstanceStatusCommand({ IncludeAllInstances: true }));
      for (const status of out.InstanceStatuses ?? []) {
        for (const detail of [...(status.InstanceStatus?.Details ?? []), ...(status.SystemStatus?.Details ?? [])]) {
          expect(detailStatuses, JSON.stringify(status)).to.include(detail.Status);
        }
      }
    }
  });

  it("is initializing after a start until the configured delay has passed, then ok", async () => {
    const id = emulator.addInstance({ state: "stopped" });
    await client.send(new StartInstancesCommand({ InstanceIds: [id] }));
    clock.advance(1000);
    expect(await checksOf(client, id)).to.deep.include({ state: "running", instance: "initializing" });
    clock.advance(4999);
    expect((await checksOf(client, id)).system).to.equal("initializing");
    clock.advance(1);
    expect(await checksOf(client, id)).to.deep.include({ instance: "ok", system: "ok" });
  });

  it("ends impaired on the check a test chose, with a per-instance delay", async () => {
    const id = emulator.addInstance({ state: "stopped", statusCheckMs: 100, impairedStatusCheck: "system" });
    await client.send(new StartInstancesCommand({ InstanceIds: [id] }));
    clock.advance(1100);
    expect(await checksOf(client, id)).to.deep.include({ instance: "ok", system: "impaired" });
    emulator.setStatusChecks(id, { impairedCheck: undefined });
    expect(emulator.statusChecks(id)).to.deep.equal({ instance: "ok", system: "ok" });
  });

  it("lists only running instances unless IncludeAllInstances is set, as EC2 does", async () => {
    const running = emulator.addInstance({ state: "running" });
    emulator.addInstance({ state: "stopped" });
    const out = await client.send(new DescribeInstanceStatusCommand({}));
    expect(out.InstanceStatuses?.map((s) => s.InstanceId)).to.deep.equal([running]);
    await expectEc2Error(
      client.send(new DescribeInstanceStatusCommand({ InstanceIds: ["i-0000000000000dead"] })),
      "InvalidInstanceID.NotFound",
    );
  });

  it("refuses StartInstances for one instance only when a fault names it; a request naming others too fails whole", async () => {
    const refused = emulator.addInstance({ state: "stopped" });
    const [other, third] = [emulator.addInstance({ state: "stopped" }), emulator.addInstance({ state: "stopped" })];
    emulator.faults.failNext("StartInstances", "InsufficientInstanceCapacity", undefined, 1, { instanceId: refused });
    await client.send(new StartInstancesCommand({ InstanceIds: [other] }));
    await expectEc2Error(
      client.send(new StartInstancesCommand({ InstanceIds: [third, refused] })),
      "InsufficientInstanceCapacity",
    );
    await expectEc2Error(
      client.send(new StartInstancesCommand({ InstanceIds: [refused] })),
      "InsufficientInstanceCapacity",
    );
    await client.send(new StartInstancesCommand({ InstanceIds: [refused] }));
  });
});
