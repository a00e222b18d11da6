import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  type EC2Client,
  StartInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { type Ec2Emulator, startEmulator } from "../../emulator";
import { ec2Client, ManualClock } from "./helpers";

/** Sends `count` calls one after another and returns the error code of each (undefined = accepted). */
async function outcomes(count: number, call: () => Promise<unknown>): Promise<(string | undefined)[]> {
  const codes: (string | undefined)[] = [];
  for (let i = 0; i < count; i++) {
    codes.push(
      await call().then(
        () => undefined,
        (error: Error) => error.name,
      ),
    );
  }
  return codes;
}

const accepted = (codes: (string | undefined)[]) => codes.filter((c) => c === undefined).length;

describe("emulator: EC2's documented request and resource rate limits", () => {
  const clock = new ManualClock();
  let emulator: Ec2Emulator;
  let client: EC2Client;

  beforeEach(async () => {
    emulator = await startEmulator({ now: clock.now, stoppingMs: 10, pendingMs: 10 });
    emulator.faults.documentedRateLimits(true);
    client = ec2Client(emulator, { maxAttempts: 1 });
  });
  afterEach(async () => {
    client.destroy();
    await emulator.close();
  });

  it("gives unfiltered DescribeInstances 50 requests at once, then 10 per second, apart from filtered ones", async () => {
    const unfiltered = () => client.send(new DescribeInstancesCommand({}));
    expect(accepted(await outcomes(51, unfiltered))).to.equal(50);
    clock.advance(1000);
    expect(accepted(await outcomes(11, unfiltered))).to.equal(10);
    const filtered = () =>
      client.send(new DescribeInstancesCommand({ Filters: [{ Name: "instance-state-name", Values: ["running"] }] }));
    expect(accepted(await outcomes(101, filtered))).to.equal(100);
    expect(emulator.calls.filter((c) => c.errorCode === "RequestLimitExceeded")).to.have.length(3);
  });

  it("throttles each action on its own: a drained CreateTags bucket leaves StopInstances alone", async () => {
    const id = emulator.addInstance({});
    const tag = () => client.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "k", Value: "v" }] }));
    expect(accepted(await outcomes(101, tag))).to.equal(100);
    await client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(emulator.instance(id).state).to.equal("stopping");
  });

  it("allows 5 StartInstances requests at once and 2 more per second", async () => {
    const ids = Array.from({ length: 8 }, () => emulator.addInstance({ state: "stopped" }));
    const start = (i: number) => () => client.send(new StartInstancesCommand({ InstanceIds: [ids[i] ?? ""] }));
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 6; i++) codes.push(...(await outcomes(1, start(i))));
    expect(codes).to.deep.equal([undefined, undefined, undefined, undefined, undefined, "RequestLimitExceeded"]);
    clock.advance(1000);
    expect(accepted(await outcomes(3, start(6)))).to.equal(2);
  });

  it("charges StartInstances one resource token per instance: 1000 at once, then 2 per second", async () => {
    const ids = Array.from({ length: 1003 }, () => emulator.addInstance({ state: "stopped" }));
    await client.send(new StartInstancesCommand({ InstanceIds: ids.slice(0, 1000) }));
    clock.advance(1000); // refills 2 request tokens, but only 2 instance tokens
    const three = client.send(new StartInstancesCommand({ InstanceIds: ids.slice(1000) }));
    await three.then(
      () => expect.fail("3 instances should exceed the 2 refilled resource tokens"),
      (error: Error) => expect(error.name).to.equal("RequestLimitExceeded"),
    );
    await client.send(new StartInstancesCommand({ InstanceIds: ids.slice(1000, 1002) }));
    expect(emulator.instance(ids[1000] ?? "").state).to.equal("pending");
    expect(emulator.instance(ids[1002] ?? "").state).to.equal("stopped");
  });

  it("is off again after faults are cleared", async () => {
    emulator.faults.clear();
    expect(accepted(await outcomes(60, () => client.send(new DescribeInstancesCommand({}))))).to.equal(60);
  });
});
