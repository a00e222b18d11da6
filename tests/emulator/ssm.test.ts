import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  SendCommandCommand,
  SSMClient,
  SSMServiceException,
} from "@aws-sdk/client-ssm";
import { expect } from "chai";
import { LINUX_CHECK, WINDOWS_CHECK } from "../../provider/engine";
import { sleep, useEmulator } from "./helpers";

describe("emulator: Systems Manager (awsJson1_1 on the same endpoint, real @aws-sdk/client-ssm)", () => {
  const h = useEmulator({ stoppingMs: 40, pendingMs: 40 });
  let ssm: SSMClient | undefined;
  const client = (): SSMClient => {
    ssm ??= new SSMClient({
      endpoint: h.emulator.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    return ssm;
  };
  afterEach(() => {
    ssm?.destroy();
    ssm = undefined;
  });

  async function ssmError(promise: Promise<unknown>): Promise<SSMServiceException> {
    try {
      await promise;
    } catch (error) {
      expect(error).to.be.instanceOf(SSMServiceException);
      return error as SSMServiceException;
    }
    throw new Error("expected an SSM error");
  }

  async function finished(commandId: string, instanceId: string): Promise<GetCommandInvocationCommandOutput> {
    for (let i = 0; i < 100; i++) {
      const out = await client().send(
        new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
      );
      if (out.Status === "Success" || out.Status === "Failed") return out;
      await sleep(20);
    }
    throw new Error("the invocation never finished");
  }

  async function run(instanceId: string, check: { document: string; commands: readonly string[] }) {
    const sent = await client().send(
      new SendCommandCommand({
        InstanceIds: [instanceId],
        DocumentName: check.document,
        Parameters: { commands: [...check.commands] },
      }),
    );
    return await finished(sent.Command?.CommandId ?? "", instanceId);
  }

  it("lists registered agents: Online while running, ConnectionLost when stopped; none for an instance without one", async () => {
    const running = h.emulator.addInstance({ state: "running" });
    const stopped = h.emulator.addInstance({ state: "stopped", platform: "windows" });
    const bare = h.emulator.addInstance({ state: "running" });
    h.emulator.setGuest(bare, { ssmAgent: "none" });

    const out = await client().send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: "InstanceIds", Values: [running, stopped, bare] }] }),
    );
    const byId = Object.fromEntries((out.InstanceInformationList ?? []).map((i) => [i.InstanceId, i]));
    expect(Object.keys(byId).sort()).to.deep.equal([running, stopped].sort());
    expect(byId[running]).to.include({ PingStatus: "Online", PlatformType: "Linux", ResourceType: "EC2Instance" });
    expect(byId[stopped]).to.include({ PingStatus: "ConnectionLost", PlatformType: "Windows" });
    expect(byId[running]?.LastPingDateTime).to.be.instanceOf(Date);
    const log = h.emulator.calls.at(-1);
    expect(log?.action).to.equal("DescribeInstanceInformation");
    expect(log?.instanceIds).to.have.members([running, stopped, bare]);
  });

  it("shows vmx and /dev/kvm only while the instance runs with NestedVirtualization=enabled", async () => {
    const enabled = h.emulator.addInstance({ nestedVirtualization: "enabled" });
    const disabled = h.emulator.addInstance({ nestedVirtualization: "disabled" });

    const yes = await run(enabled, LINUX_CHECK);
    expect(yes).to.include({ Status: "Success", ResponseCode: 0, DocumentName: "AWS-RunShellScript" });
    expect(yes.StandardOutputContent).to.equal("/dev/kvm: present\ncpu flag vmx: present\n");

    const no = await run(disabled, LINUX_CHECK);
    expect(no).to.include({ Status: "Failed", ResponseCode: 1 });
    expect(no.StandardOutputContent).to.equal("/dev/kvm: missing\ncpu flag vmx: missing\n");
  });

  it("shows vmx without /dev/kvm when the guest kernel lacks the kvm modules", async () => {
    const id = h.emulator.addInstance({ nestedVirtualization: "enabled" });
    h.emulator.setGuest(id, { kvmModule: false });
    const out = await run(id, LINUX_CHECK);
    expect(out).to.include({ Status: "Failed", ResponseCode: 1 });
    expect(out.StandardOutputContent).to.equal("/dev/kvm: missing\ncpu flag vmx: present\n");
  });

  it("answers the PowerShell check on Windows from the CPU option", async () => {
    const on = h.emulator.addInstance({ platform: "windows", nestedVirtualization: "enabled" });
    const off = h.emulator.addInstance({ platform: "windows", nestedVirtualization: "disabled" });
    const yes = await run(on, WINDOWS_CHECK);
    expect(yes).to.include({ Status: "Success", StandardOutputContent: "VirtualizationFirmwareEnabled: True\n" });
    const no = await run(off, WINDOWS_CHECK);
    expect(no).to.include({ Status: "Failed", ResponseCode: 1 });
    expect(no.StandardOutputContent).to.equal("VirtualizationFirmwareEnabled: False\n");
  });

  it("reports a command as Pending or InProgress until it has run", async () => {
    const id = h.emulator.addInstance({ nestedVirtualization: "enabled" });
    h.emulator.ssm.runMs = 400;
    const sent = await client().send(
      new SendCommandCommand({
        InstanceIds: [id],
        DocumentName: LINUX_CHECK.document,
        Parameters: { commands: [...LINUX_CHECK.commands] },
      }),
    );
    const early = await client().send(
      new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: id }),
    );
    expect(["Pending", "InProgress"]).to.include(early.Status);
    expect(early.StandardOutputContent).to.equal("");
    expect((await finished(sent.Command?.CommandId ?? "", id)).Status).to.equal("Success");
  });

  it("refuses SendCommand to an instance without an online agent, and unknown invocations", async () => {
    const bare = h.emulator.addInstance();
    h.emulator.setGuest(bare, { ssmAgent: "none" });
    const stopped = h.emulator.addInstance({ state: "stopped" });
    for (const id of [bare, stopped]) {
      const error = await ssmError(
        client().send(
          new SendCommandCommand({
            InstanceIds: [id],
            DocumentName: "AWS-RunShellScript",
            Parameters: { commands: ["true"] },
          }),
        ),
      );
      expect(error.name).to.equal("InvalidInstanceId");
      expect(error.message).to.include(id);
    }
    const unknown = await ssmError(
      client().send(
        new GetCommandInvocationCommand({ CommandId: "00000000-0000-0000-0000-000000000000", InstanceId: bare }),
      ),
    );
    expect(unknown.name).to.equal("InvocationDoesNotExist");
  });

  it("fails a line it cannot model instead of passing it", async () => {
    const id = h.emulator.addInstance({ nestedVirtualization: "enabled" });
    const out = await run(id, { document: "AWS-RunShellScript", commands: ["lsmod | grep kvm"] });
    expect(out).to.include({ Status: "Failed", ResponseCode: 127 });
    expect(out.StandardErrorContent).to.include("not modelled by the emulator");
  });

  it("applies simulated IAM and scripted faults to SSM actions, and logs them like EC2's", async () => {
    const id = h.emulator.addInstance();
    h.emulator.permissions.deny("SendCommand");
    const denied = await ssmError(
      client().send(
        new SendCommandCommand({
          InstanceIds: [id],
          DocumentName: "AWS-RunShellScript",
          Parameters: { commands: ["true"] },
        }),
      ),
    );
    expect(denied.name).to.equal("AccessDeniedException");
    expect(denied.message).to.include("ssm:SendCommand");
    h.emulator.faults.failNext("DescribeInstanceInformation", "InternalServerError", "boom", 1);
    const info = await client().send(new DescribeInstanceInformationCommand({}));
    expect(info.InstanceInformationList?.map((i) => i.InstanceId)).to.deep.equal([id]);
    expect(h.emulator.calls.map((c) => [c.action, c.errorCode])).to.deep.equal([
      ["SendCommand", "AccessDeniedException"],
      ["DescribeInstanceInformation", "InternalServerError"],
      ["DescribeInstanceInformation", undefined],
    ]);
    expect(h.emulator.mutatingCalls().map((c) => c.action)).to.deep.equal(["SendCommand"]);
  });

  it("sets and reads the guest through the control API", async () => {
    const id = h.emulator.addInstance();
    const url = `${h.emulator.endpoint}/_emulator/instances/${id}/guest`;
    const set = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ssmAgent: "none", kvmModule: false }),
    });
    expect(set.status).to.equal(200);
    expect(await (await fetch(url)).json()).to.deep.equal({ ssmAgent: "none", kvmModule: false });
    const bad = await fetch(url, { method: "POST", body: JSON.stringify({ ssmAgent: "maybe" }) });
    expect(bad.status).to.equal(400);
    const missing = await fetch(`${h.emulator.endpoint}/_emulator/instances/i-0123456789abcdef0/guest`);
    expect(missing.status).to.equal(404);
  });
});
