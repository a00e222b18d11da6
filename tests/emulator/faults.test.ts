import { DescribeInstancesCommand, ModifyInstanceCpuOptionsCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { ConfiguredRetryStrategy } from "@smithy/core/retry";
import { expect } from "chai";
import { ec2Client, expectEc2Error, useEmulator } from "./helpers";

/** The SDK's standard retry strategy with 1 ms backoff, recording how the SDK classified each retried error. */
function recordingRetryStrategy(maxAttempts: number): { strategy: ConfiguredRetryStrategy; errorTypes: string[] } {
  const errorTypes: string[] = [];
  const strategy = new ConfiguredRetryStrategy(maxAttempts, 1);
  const refresh = strategy.refreshRetryTokenForRetry.bind(strategy);
  strategy.refreshRetryTokenForRetry = (token, errorInfo) => {
    errorTypes.push(errorInfo.errorType);
    return refresh(token, errorInfo);
  };
  return { strategy, errorTypes };
}

describe("emulator: fault injection", () => {
  const h = useEmulator();

  it("RequestLimitExceeded is a 503 the SDK classifies as THROTTLING and retries", async () => {
    const id = h.emulator.addInstance({});
    const { strategy, errorTypes } = recordingRetryStrategy(3);
    const client = ec2Client(h.emulator, { retryStrategy: strategy });
    h.emulator.faults.failNext("DescribeInstances", "RequestLimitExceeded", undefined, 2);
    const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    client.destroy();
    expect(out.$metadata.attempts).to.equal(3);
    expect(errorTypes).to.deep.equal(["THROTTLING", "THROTTLING"]);
    const attempts = h.emulator.calls.filter((c) => c.action === "DescribeInstances");
    expect(attempts.map((c) => c.errorCode)).to.deep.equal(["RequestLimitExceeded", "RequestLimitExceeded", undefined]);
  });

  it("the default client config retries throttling too (3 attempts, then surfaces the error)", async function () {
    this.timeout(15_000);
    h.emulator.faults.errorRate(1, "RequestLimitExceeded", ["DescribeInstances"]);
    const error = await expectEc2Error(h.client.send(new DescribeInstancesCommand({})), "RequestLimitExceeded");
    expect(error.$metadata.httpStatusCode).to.equal(503);
    expect(error.$metadata.attempts).to.equal(3);
    expect(h.emulator.callCounts()).to.deep.equal({ DescribeInstances: 3 });
  });

  it("Unavailable (503) is retried as a transient error", async () => {
    const { strategy, errorTypes } = recordingRetryStrategy(3);
    const client = ec2Client(h.emulator, { retryStrategy: strategy });
    h.emulator.faults.failNext("DescribeInstances", "Unavailable");
    await client.send(new DescribeInstancesCommand({}));
    client.destroy();
    expect(errorTypes).to.deep.equal(["TRANSIENT"]);
  });

  it("a client error code is not retried and the mutation is not applied", async () => {
    const id = h.emulator.addInstance({});
    h.emulator.faults.failNext("StopInstances", "InvalidParameterValue", "scripted failure");
    await expectEc2Error(
      h.client.send(new StopInstancesCommand({ InstanceIds: [id] })),
      "InvalidParameterValue",
      "scripted failure",
    );
    expect(h.emulator.instance(id).state).to.equal("running");
    expect(h.emulator.mutatingCalls().map((c) => c.errorCode)).to.deep.equal(["InvalidParameterValue"]);
    await h.client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(h.emulator.instance(id).state).to.equal("stopping");
  });

  it("failNext can target only real calls, letting the DryRun preflight through", async () => {
    const id = h.emulator.addInstance({ state: "stopped" });
    h.emulator.faults.failNext("ModifyInstanceCpuOptions", "InternalError", undefined, 1, { dryRun: false });
    const client = ec2Client(h.emulator, { maxAttempts: 1 });
    const modify = (DryRun: boolean) =>
      client.send(new ModifyInstanceCpuOptionsCommand({ InstanceId: id, NestedVirtualization: "enabled", DryRun }));
    await expectEc2Error(modify(true), "DryRunOperation");
    await expectEc2Error(modify(false), "InternalError");
    await modify(false);
    client.destroy();
    expect(h.emulator.calls.map((c) => [c.dryRun, c.errorCode])).to.deep.equal([
      [true, "DryRunOperation"],
      [false, "InternalError"],
      [false, undefined],
    ]);
  });

  it("an injected status overrides EC2's for the code, and an HTML body is not EC2's XML", async () => {
    const { strategy, errorTypes } = recordingRetryStrategy(2);
    const client = ec2Client(h.emulator, { retryStrategy: strategy });
    h.emulator.faults.failNext("DescribeInstances", "Unavailable", "gateway", 1, { status: 502 });
    await client.send(new DescribeInstancesCommand({}));
    client.destroy();
    h.emulator.faults.failNext("DescribeInstances", "InternalError", undefined, 1, { html: true });
    expect(errorTypes).to.deep.equal(["TRANSIENT"]);
    const noRetry = ec2Client(h.emulator, { maxAttempts: 1 });
    const html = await noRetry.send(new DescribeInstancesCommand({})).catch((error: unknown) => error);
    noRetry.destroy();
    expect(html).to.have.nested.property("$metadata.httpStatusCode", 500);
    expect(String((html as Error).message)).to.contain("XML parse error");
    expect(h.emulator.calls.map((c) => c.errorCode)).to.deep.equal(["Unavailable", undefined, "InternalError"]);
  });

  it("unimplemented actions answer InvalidAction for DryRun and real calls until cleared", async () => {
    const id = h.emulator.addInstance({ state: "stopped" });
    const client = ec2Client(h.emulator, { maxAttempts: 1 });
    const modify = (DryRun: boolean) =>
      client.send(new ModifyInstanceCpuOptionsCommand({ InstanceId: id, NestedVirtualization: "enabled", DryRun }));
    h.emulator.faults.unimplementedActions(["ModifyInstanceCpuOptions"]);
    await expectEc2Error(modify(true), "InvalidAction");
    await expectEc2Error(modify(false), "InvalidAction");
    await client.send(new DescribeInstancesCommand({}));
    h.emulator.faults.clear();
    await expectEc2Error(modify(true), "DryRunOperation");
    client.destroy();
    expect(h.emulator.instance(id).nestedVirtualization).to.equal("disabled");
  });

  it("errorRate can be limited to actions and cleared", async () => {
    const client = ec2Client(h.emulator, { maxAttempts: 1 });
    h.emulator.faults.errorRate(1, "Unavailable", ["StopInstances"]);
    await client.send(new DescribeInstancesCommand({}));
    h.emulator.faults.errorRate(1, "Unavailable");
    await expectEc2Error(client.send(new DescribeInstancesCommand({})), "Unavailable");
    h.emulator.faults.clear();
    await client.send(new DescribeInstancesCommand({}));
    client.destroy();
  });

  it("adds latency to EC2 responses", async () => {
    h.emulator.faults.latency(120);
    const started = Date.now();
    await h.client.send(new DescribeInstancesCommand({}));
    expect(Date.now() - started).to.be.at.least(110);
  });
});
