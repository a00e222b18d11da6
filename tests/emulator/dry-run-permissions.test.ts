import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  type EC2Client,
  ModifyInstanceCpuOptionsCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { expect } from "chai";
import type { Ec2Emulator } from "../../emulator";
import { expectEc2Error, useEmulator } from "./helpers";

type Send = (client: EC2Client, ids: { running: string; stopped: string }, dryRun: boolean) => Promise<unknown>;

const ACTIONS: Record<string, Send> = {
  DescribeInstances: (c, ids, DryRun) => c.send(new DescribeInstancesCommand({ InstanceIds: [ids.running], DryRun })),
  DescribeInstanceTypes: (c, _ids, DryRun) =>
    c.send(new DescribeInstanceTypesCommand({ InstanceTypes: ["m8i.large"], DryRun })),
  StopInstances: (c, ids, DryRun) => c.send(new StopInstancesCommand({ InstanceIds: [ids.running], DryRun })),
  StartInstances: (c, ids, DryRun) => c.send(new StartInstancesCommand({ InstanceIds: [ids.stopped], DryRun })),
  ModifyInstanceCpuOptions: (c, ids, DryRun) =>
    c.send(new ModifyInstanceCpuOptionsCommand({ InstanceId: ids.stopped, NestedVirtualization: "enabled", DryRun })),
  CreateTags: (c, ids, DryRun) =>
    c.send(new CreateTagsCommand({ Resources: [ids.running], Tags: [{ Key: "k", Value: "v" }], DryRun })),
  DeleteTags: (c, ids, DryRun) =>
    c.send(new DeleteTagsCommand({ Resources: [ids.running], Tags: [{ Key: "Name" }], DryRun })),
};

function seed(emulator: Ec2Emulator): { running: string; stopped: string } {
  return {
    running: emulator.addInstance({ tags: { Name: "r" } }),
    stopped: emulator.addInstance({ state: "stopped" }),
  };
}

describe("emulator: DryRun and permissions", () => {
  const h = useEmulator();

  for (const [action, send] of Object.entries(ACTIONS)) {
    describe(action, () => {
      it("answers DryRunOperation (HTTP 412) when permitted, without side effects", async () => {
        const ids = seed(h.emulator);
        const before = [h.emulator.instance(ids.running), h.emulator.instance(ids.stopped)];
        const error = await expectEc2Error(
          send(h.client, ids, true),
          "DryRunOperation",
          "Request would have succeeded, but DryRun flag is set.",
        );
        expect(error.$metadata.httpStatusCode).to.equal(412);
        expect([h.emulator.instance(ids.running), h.emulator.instance(ids.stopped)]).to.deep.equal(before);
        const call = h.emulator.calls[h.emulator.calls.length - 1];
        expect(call).to.deep.include({ action, dryRun: true, errorCode: "DryRunOperation" });
        expect(h.emulator.mutatingCalls()).to.deep.equal([]);
      });

      it("answers UnauthorizedOperation naming the action when denied (dry run or not)", async () => {
        const ids = seed(h.emulator);
        h.emulator.permissions.deny(action);
        for (const dryRun of [true, false]) {
          const error = await expectEc2Error(
            send(h.client, ids, dryRun),
            "UnauthorizedOperation",
            new RegExp(`ec2:${action}`),
          );
          expect(error.$metadata.httpStatusCode).to.equal(403);
        }
        h.emulator.permissions.allow(action);
        await send(h.client, ids, false);
      });
    });
  }

  it("leaves state untouched when a real call is denied, and logs it as a failed mutation", async () => {
    const ids = seed(h.emulator);
    h.emulator.permissions.deny("ModifyInstanceCpuOptions");
    await expectEc2Error(ACTIONS.ModifyInstanceCpuOptions(h.client, ids, false), "UnauthorizedOperation");
    expect(h.emulator.instance(ids.stopped).nestedVirtualization).to.equal("disabled");
    expect(h.emulator.mutatingCalls().map((c) => [c.action, c.errorCode])).to.deep.equal([
      ["ModifyInstanceCpuOptions", "UnauthorizedOperation"],
    ]);
    h.emulator.permissions.allowAll();
    await ACTIONS.ModifyInstanceCpuOptions(h.client, ids, false);
    expect(h.emulator.instance(ids.stopped).nestedVirtualization).to.equal("enabled");
  });

  it("checks DryRun permission without checking instance state", async () => {
    const running = h.emulator.addInstance({});
    await expectEc2Error(
      h.client.send(
        new ModifyInstanceCpuOptionsCommand({ InstanceId: running, NestedVirtualization: "enabled", DryRun: true }),
      ),
      "DryRunOperation",
    );
  });

  it("still reports unknown and malformed ids on a dry run", async () => {
    await expectEc2Error(
      h.client.send(new StopInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"], DryRun: true })),
      "InvalidInstanceID.NotFound",
    );
    await expectEc2Error(
      h.client.send(new StopInstancesCommand({ InstanceIds: ["i-nope"], DryRun: true })),
      "InvalidInstanceID.Malformed",
    );
  });
});
