import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  ModifyInstanceAttributeCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { expectEc2Error, sleep, useEmulator } from "./helpers";

describe("emulator: stop protection (ModifyInstanceAttribute) and starts that fail for capacity", () => {
  const h = useEmulator({ stoppingMs: 30, pendingMs: 30 });

  const protectionOf = async (id: string) =>
    (await h.client.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: "disableApiStop" })))
      .DisableApiStop?.Value;

  it("turns stop protection off and on with DisableApiStop, as DescribeInstanceAttribute and StopInstances see it", async () => {
    const id = h.emulator.addInstance({ disableApiStop: true });
    await expectEc2Error(h.client.send(new StopInstancesCommand({ InstanceIds: [id] })), "OperationNotPermitted");
    await h.client.send(new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiStop: { Value: false } }));
    expect(await protectionOf(id)).to.equal(false);
    await h.client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await h.client.send(
      new ModifyInstanceAttributeCommand({ InstanceId: id, Attribute: "disableApiStop", Value: "true" }),
    );
    expect(await protectionOf(id)).to.equal(true);
    expect(h.emulator.mutatingCalls().map((c) => [c.action, c.errorCode ?? "ok"])).to.deep.equal([
      ["StopInstances", "OperationNotPermitted"],
      ["ModifyInstanceAttribute", "ok"],
      ["StopInstances", "ok"],
      ["ModifyInstanceAttribute", "ok"],
    ]);
  });

  it("answers a DryRun with DryRunOperation, or UnauthorizedOperation when the action is denied, changing nothing", async () => {
    const id = h.emulator.addInstance({ disableApiStop: true });
    const dryRun = new ModifyInstanceAttributeCommand({
      InstanceId: id,
      DisableApiStop: { Value: false },
      DryRun: true,
    });
    await expectEc2Error(h.client.send(dryRun), "DryRunOperation");
    h.emulator.permissions.deny("ModifyInstanceAttribute");
    await expectEc2Error(h.client.send(dryRun), "UnauthorizedOperation", /ec2:ModifyInstanceAttribute/);
    expect(h.emulator.instance(id).disableApiStop).to.equal(true);
  });

  it("refuses the attributes it does not model, naming the one it does", async () => {
    const id = h.emulator.addInstance();
    await expectEc2Error(
      h.client.send(
        new ModifyInstanceAttributeCommand({ InstanceId: id, Attribute: "instanceType", Value: "m8i.xlarge" }),
      ),
      "InvalidParameterCombination",
      /disableApiStop only/,
    );
  });

  it("fails the next K starts: pending, then stopped with Server.InsufficientInstanceCapacity, then a start that runs", async () => {
    const id = h.emulator.addInstance({ state: "stopped" });
    h.emulator.failNextStarts(id, 2);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await h.client.send(new StartInstancesCommand({ InstanceIds: [id] }));
      await sleep(60);
      const out = await h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      const instance = out.Reservations?.[0]?.Instances?.[0];
      if (attempt < 3) {
        expect(instance?.State?.Name).to.equal("stopped");
        expect(instance?.StateReason?.Code).to.equal("Server.InsufficientInstanceCapacity");
      } else {
        expect(instance?.State?.Name).to.equal("running");
      }
    }
    expect(h.emulator.stateHistory([id])[id]?.map((s) => s.state)).to.deep.equal([
      "stopped",
      "pending",
      "stopped",
      "pending",
      "stopped",
      "pending",
      "running",
    ]);
  });

  it("sets failing starts through the control API, with another StateReason when asked", async () => {
    const id = h.emulator.addInstance({ state: "stopped" });
    const response = await fetch(`${h.emulator.endpoint}/_emulator/instances/${id}/start-failures`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ count: 1, code: "Server.InternalError" }),
    });
    expect(response.status).to.equal(200);
    await h.client.send(new StartInstancesCommand({ InstanceIds: [id] }));
    await sleep(60);
    expect(h.emulator.instance(id).stateReason).to.deep.equal({
      code: "Server.InternalError",
      message: "Server.InternalError: Injected start failure.",
    });
  });

  it("holds the answer to a call that has taken effect (not its DryRuns) for as long as asked", async () => {
    const id = h.emulator.addInstance();
    h.emulator.faults.holdReply("StopInstances", 300);
    await expectEc2Error(
      h.client.send(new StopInstancesCommand({ InstanceIds: [id], DryRun: true })),
      "DryRunOperation",
    );
    const began = Date.now();
    const stopping = h.client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await sleep(50);
    expect(h.emulator.instance(id).state).to.not.equal("running");
    await stopping;
    expect(Date.now() - began).to.be.at.least(290);
  });
});
