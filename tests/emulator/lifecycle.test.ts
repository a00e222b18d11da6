import {
  DescribeInstancesCommand,
  type EC2Client,
  type Instance,
  StartInstancesCommand,
  StopInstancesCommand,
  waitUntilInstanceStopped,
} from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { type Ec2Emulator, startEmulator } from "../../emulator";
import { ec2Client, expectEc2Error, ManualClock, useEmulator } from "./helpers";

async function describe1(client: EC2Client, id: string): Promise<Instance> {
  const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new Error(`no instance ${id}`);
  return instance;
}

async function stateOf(client: EC2Client, id: string): Promise<string | undefined> {
  return (await describe1(client, id)).State?.Name;
}

describe("emulator: stop/start state machine (manual clock)", () => {
  const clock = new ManualClock();
  let emulator: Ec2Emulator;
  let client: EC2Client;

  beforeEach(async () => {
    emulator = await startEmulator({ stoppingMs: 1000, pendingMs: 2000, now: clock.now });
    client = ec2Client(emulator);
  });
  afterEach(async () => {
    client.destroy();
    await emulator.close();
  });

  it("goes running -> stopping -> stopped exactly when stoppingMs elapses", async () => {
    const id = emulator.addInstance({});
    const out = await client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(out.StoppingInstances).to.deep.equal([
      { InstanceId: id, CurrentState: { Code: 64, Name: "stopping" }, PreviousState: { Code: 16, Name: "running" } },
    ]);
    clock.advance(999);
    expect(await stateOf(client, id)).to.equal("stopping");
    clock.advance(1);
    expect(await stateOf(client, id)).to.equal("stopped");
    const stopped = await describe1(client, id);
    expect(stopped.StateReason?.Code).to.equal("Client.UserInitiatedShutdown");
    expect(stopped.StateTransitionReason).to.match(/^User initiated \(/);
  });

  it("goes stopped -> pending -> running when pendingMs elapses and updates LaunchTime", async () => {
    const id = emulator.addInstance({ state: "stopped" });
    const launchedAt = emulator.instance(id).launchTime;
    clock.advance(60_000);
    const out = await client.send(new StartInstancesCommand({ InstanceIds: [id] }));
    expect(out.StartingInstances).to.deep.equal([
      { InstanceId: id, CurrentState: { Code: 0, Name: "pending" }, PreviousState: { Code: 80, Name: "stopped" } },
    ]);
    clock.advance(1999);
    expect(await stateOf(client, id)).to.equal("pending");
    clock.advance(1);
    const running = await describe1(client, id);
    expect(running.State?.Name).to.equal("running");
    expect(running.LaunchTime?.toISOString()).to.not.equal(launchedAt);
    expect(running.LaunchTime?.getTime()).to.equal(clock.nowMs - 2000);
  });

  it("treats stopping a stopped or stopping instance as a no-op success", async () => {
    const stopped = emulator.addInstance({ state: "stopped" });
    const stopping = emulator.addInstance({ state: "stopping" });
    const out = await client.send(new StopInstancesCommand({ InstanceIds: [stopped, stopping] }));
    expect(out.StoppingInstances?.map((c) => [c.PreviousState?.Name, c.CurrentState?.Name])).to.deep.equal([
      ["stopped", "stopped"],
      ["stopping", "stopping"],
    ]);
  });

  it("treats starting a running or pending instance as a no-op success", async () => {
    const running = emulator.addInstance({});
    const pending = emulator.addInstance({ state: "pending" });
    const out = await client.send(new StartInstancesCommand({ InstanceIds: [running, pending] }));
    expect(out.StartingInstances?.map((c) => [c.PreviousState?.Name, c.CurrentState?.Name])).to.deep.equal([
      ["running", "running"],
      ["pending", "pending"],
    ]);
  });

  it("rejects stopping a pending instance and starting a stopping one", async () => {
    const pending = emulator.addInstance({ state: "pending" });
    await expectEc2Error(
      client.send(new StopInstancesCommand({ InstanceIds: [pending] })),
      "IncorrectInstanceState",
      `The instance '${pending}' is not in a state from which it can be stopped.`,
    );
    const stopping = emulator.addInstance({ state: "stopping" });
    await expectEc2Error(
      client.send(new StartInstancesCommand({ InstanceIds: [stopping] })),
      "IncorrectInstanceState",
      `The instance '${stopping}' is not in a state from which it can be started.`,
    );
    const terminated = emulator.addInstance({ state: "terminated" });
    await expectEc2Error(
      client.send(new StartInstancesCommand({ InstanceIds: [terminated] })),
      "IncorrectInstanceState",
    );
    await expectEc2Error(
      client.send(new StopInstancesCommand({ InstanceIds: [terminated] })),
      "IncorrectInstanceState",
    );
  });

  it("refuses to stop one-time spot and instance-store-backed instances", async () => {
    const spot = emulator.addInstance({ spot: true });
    await expectEc2Error(
      client.send(new StopInstancesCommand({ InstanceIds: [spot] })),
      "UnsupportedOperation",
      /You can't stop the Spot Instance .* one-time Spot Instance request/,
    );
    const store = emulator.addInstance({ rootDeviceType: "instance-store" });
    await expectEc2Error(
      client.send(new StopInstancesCommand({ InstanceIds: [store] })),
      "UnsupportedOperation",
      `The instance '${store}' does not have an 'ebs' root device type and cannot be stopped.`,
    );
    expect(emulator.instance(spot).state).to.equal("running");
    expect(emulator.instance(store).state).to.equal("running");
  });

  it("validates the whole request before stopping anything", async () => {
    const ok = emulator.addInstance({});
    const spot = emulator.addInstance({ spot: true });
    await expectEc2Error(client.send(new StopInstancesCommand({ InstanceIds: [ok, spot] })), "UnsupportedOperation");
    expect(emulator.instance(ok).state).to.equal("running");
    await expectEc2Error(
      client.send(new StopInstancesCommand({ InstanceIds: [ok, "i-0123456789abcdef0"] })),
      "InvalidInstanceID.NotFound",
    );
    expect(emulator.instance(ok).state).to.equal("running");
  });

  it("supports Hibernate only when hibernation is configured, and accepts Force", async () => {
    const plain = emulator.addInstance({});
    await expectEc2Error(
      client.send(new StopInstancesCommand({ InstanceIds: [plain], Hibernate: true })),
      "UnsupportedHibernationConfiguration",
    );
    const hib = emulator.addInstance({ hibernationConfigured: true });
    await client.send(new StopInstancesCommand({ InstanceIds: [hib], Hibernate: true, Force: true }));
    clock.advance(1000);
    const out = await describe1(client, hib);
    expect(out.State?.Name).to.equal("stopped");
    expect(out.StateReason?.Code).to.equal("Client.UserInitiatedHibernate");
  });

  it("uses per-instance durations over the global ones", async () => {
    const slow = emulator.addInstance({ stoppingMs: 5000, pendingMs: 10 });
    await client.send(new StopInstancesCommand({ InstanceIds: [slow] }));
    clock.advance(4999);
    expect(await stateOf(client, slow)).to.equal("stopping");
    clock.advance(1);
    expect(await stateOf(client, slow)).to.equal("stopped");
    await client.send(new StartInstancesCommand({ InstanceIds: [slow] }));
    clock.advance(10);
    expect(await stateOf(client, slow)).to.equal("running");
  });

  it("staggers a fleet whose instances carry their own durations", async () => {
    const ids = [0, 1, 2].map((i) => emulator.addInstance({ stoppingMs: 1000 + 37 * i }));
    expect(ids.map((id) => emulator.instance(id).transitionDurations)).to.deep.equal([
      { stoppingMs: 1000, pendingMs: 2000 },
      { stoppingMs: 1037, pendingMs: 2000 },
      { stoppingMs: 1074, pendingMs: 2000 },
    ]);
    await client.send(new StopInstancesCommand({ InstanceIds: ids }));
    clock.advance(1037);
    expect(await Promise.all(ids.map((id) => stateOf(client, id)))).to.deep.equal(["stopped", "stopped", "stopping"]);
    clock.advance(37);
    expect(await stateOf(client, ids[2])).to.equal("stopped");
  });

  it("changes an instance's durations for the transitions that begin afterwards", async () => {
    const id = emulator.addInstance({});
    await client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    emulator.setTransitionDurations(id, { stoppingMs: 50, pendingMs: 70 });
    clock.advance(999);
    expect(await stateOf(client, id)).to.equal("stopping");
    clock.advance(1);
    await client.send(new StartInstancesCommand({ InstanceIds: [id] }));
    clock.advance(70);
    expect(await stateOf(client, id)).to.equal("running");
    expect(() => emulator.setTransitionDurations(id, { stoppingMs: -1 })).to.throw(/stoppingMs must be a non-negative/);
  });

  it("can hold an instance in stopping until released", async () => {
    const id = emulator.addInstance({});
    emulator.faults.stuckInStopping(id);
    await client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    clock.advance(3_600_000);
    expect(await stateOf(client, id)).to.equal("stopping");
    emulator.faults.stuckInStopping(id, false);
    expect(await stateOf(client, id)).to.equal("stopped");
  });

  it("replaces an auto-assigned public IP on stop/start but keeps an Elastic IP", async () => {
    const ephemeral = emulator.addInstance({ publicIp: "ephemeral" });
    const elastic = emulator.addInstance({ publicIp: "elastic" });
    const before = await describe1(client, ephemeral);
    const elasticBefore = await describe1(client, elastic);
    expect(before.PublicIpAddress).to.be.a("string");

    await client.send(new StopInstancesCommand({ InstanceIds: [ephemeral, elastic] }));
    clock.advance(1000);
    const stopped = await describe1(client, ephemeral);
    expect(stopped.PublicIpAddress).to.equal(undefined);
    expect(stopped.NetworkInterfaces?.[0]?.Association).to.equal(undefined);
    expect((await describe1(client, elastic)).PublicIpAddress).to.equal(elasticBefore.PublicIpAddress);

    await client.send(new StartInstancesCommand({ InstanceIds: [ephemeral, elastic] }));
    clock.advance(2000);
    const after = await describe1(client, ephemeral);
    expect(after.PublicIpAddress).to.be.a("string").and.not.equal(before.PublicIpAddress);
    expect(after.NetworkInterfaces?.[0]?.Association?.IpOwnerId).to.equal("amazon");
    const elasticAfter = await describe1(client, elastic);
    expect(elasticAfter.PublicIpAddress).to.equal(elasticBefore.PublicIpAddress);
    expect(elasticAfter.NetworkInterfaces?.[0]?.Association?.IpOwnerId).to.equal("123456789012");
  });

  it("applies out-of-band state changes, including transitional ones", async () => {
    const id = emulator.addInstance({});
    emulator.setState(id, "stopped");
    expect(await stateOf(client, id)).to.equal("stopped");
    emulator.setState(id, "pending");
    expect(await stateOf(client, id)).to.equal("pending");
    clock.advance(2000);
    expect(await stateOf(client, id)).to.equal("running");
    emulator.setState(id, "shutting-down");
    clock.advance(1000);
    expect(await stateOf(client, id)).to.equal("terminated");
  });
});

describe("emulator: real-time transitions", () => {
  const h = useEmulator({ stoppingMs: 150, pendingMs: 150 });

  it("completes a stop under the real clock, observed by the SDK waiter", async function () {
    this.timeout(10_000);
    const id = h.emulator.addInstance({});
    await h.client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(h.emulator.instance(id).state).to.equal("stopping");
    const result = await waitUntilInstanceStopped(
      { client: h.client, maxWaitTime: 5, minDelay: 0.05, maxDelay: 0.1 },
      { InstanceIds: [id] },
    );
    expect(result.state).to.equal("SUCCESS");
    expect(h.emulator.instance(id).state).to.equal("stopped");
  });
});
