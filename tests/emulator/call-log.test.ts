import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  ModifyInstanceCpuOptionsCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { startEmulator } from "../../emulator";
import { ec2Client, expectEc2Error, ManualClock } from "./helpers";

describe("emulator: call log", () => {
  it("records action, ids, DryRun, params, errors and emulator time in order", async () => {
    const clock = new ManualClock();
    const emulator = await startEmulator({ now: clock.now, stoppingMs: 10 });
    const client = ec2Client(emulator);
    try {
      const id = emulator.addInstance({});
      await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      clock.advance(5);
      await client.send(new StopInstancesCommand({ InstanceIds: [id], Force: true }));
      await expectEc2Error(
        client.send(new ModifyInstanceCpuOptionsCommand({ InstanceId: id, NestedVirtualization: "enabled" })),
        "IncorrectInstanceState",
      );
      clock.advance(10);
      await expectEc2Error(
        client.send(
          new ModifyInstanceCpuOptionsCommand({ InstanceId: id, NestedVirtualization: "enabled", DryRun: true }),
        ),
        "DryRunOperation",
      );
      await client.send(new ModifyInstanceCpuOptionsCommand({ InstanceId: id, NestedVirtualization: "enabled" }));
      await client.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "k", Value: "v" }] }));
      await client.send(new StartInstancesCommand({ InstanceIds: [id] }));

      const calls = emulator.calls;
      expect(calls.map((c) => c.seq)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
      expect(calls[0]).to.deep.include({ action: "DescribeInstances", instanceIds: [id], dryRun: false });
      expect(calls[0]?.at).to.equal(clock.nowMs - 15);
      expect(calls[1]?.params).to.deep.include({ Action: "StopInstances", "InstanceId.1": id, Force: "true" });
      expect(calls[2]?.errorCode).to.equal("IncorrectInstanceState");
      expect(calls[3]).to.deep.include({ dryRun: true, errorCode: "DryRunOperation" });
      expect(calls[4]?.params).to.deep.include({ InstanceId: id, NestedVirtualization: "enabled" });
      expect(calls[5]?.instanceIds).to.deep.equal([id]);

      expect(emulator.mutatingCalls().map((c) => [c.action, c.errorCode ?? "ok"])).to.deep.equal([
        ["StopInstances", "ok"],
        ["ModifyInstanceCpuOptions", "IncorrectInstanceState"],
        ["ModifyInstanceCpuOptions", "ok"],
        ["CreateTags", "ok"],
        ["StartInstances", "ok"],
      ]);
      expect(emulator.callCounts()).to.deep.equal({
        DescribeInstances: 1,
        StopInstances: 1,
        ModifyInstanceCpuOptions: 3,
        CreateTags: 1,
        StartInstances: 1,
      });
      emulator.resetCalls();
      expect(emulator.calls).to.deep.equal([]);
      await client.send(new DescribeInstancesCommand({}));
      expect(emulator.calls[0]?.seq).to.equal(8);
    } finally {
      client.destroy();
      await emulator.close();
    }
  });

  it("exposes the request id the SDK reports in $metadata", async () => {
    const emulator = await startEmulator();
    const client = ec2Client(emulator);
    try {
      const ok = await client.send(new DescribeInstancesCommand({}));
      expect(ok.$metadata.requestId).to.match(/^[0-9a-f-]{36}$/);
      const error = await expectEc2Error(
        client.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] })),
        "InvalidInstanceID.NotFound",
      );
      expect(error.$metadata.requestId).to.match(/^[0-9a-f-]{36}$/);
    } finally {
      client.destroy();
      await emulator.close();
    }
  });
});
