import { DescribeInstancesCommand, ModifyInstanceCpuOptionsCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import type { CallRecord, InstanceSnapshot } from "../../emulator";
import { ec2Client, expectEc2Error, useEmulator } from "./helpers";

interface JsonResponse<T> {
  status: number;
  body: T;
}

describe("emulator: JSON control API", () => {
  const h = useEmulator();

  async function control<T>(method: string, path: string, body?: unknown): Promise<JsonResponse<T>> {
    const response = await fetch(`${h.emulator.endpoint}/_emulator/${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  it("seeds instances and lists snapshots", async () => {
    const created = await control<{ instanceId: string }>("POST", "instances", {
      instanceId: "i-0aaaaaaaaaaaaaaaa",
      instanceType: "c8i.large",
      state: "stopped",
      tags: { Name: "seeded" },
    });
    expect(created).to.deep.equal({ status: 201, body: { instanceId: "i-0aaaaaaaaaaaaaaaa" } });
    const listed = await control<InstanceSnapshot[]>("GET", "instances");
    expect(listed.body).to.have.length(1);
    expect(listed.body[0]).to.deep.include({
      instanceId: "i-0aaaaaaaaaaaaaaaa",
      state: "stopped",
      instanceType: "c8i.large",
    });
    const one = await control<InstanceSnapshot>("GET", "instances/i-0aaaaaaaaaaaaaaaa");
    expect(one.body.tags).to.deep.equal({ Name: "seeded" });
    const out = await h.client.send(new DescribeInstancesCommand({ InstanceIds: ["i-0aaaaaaaaaaaaaaaa"] }));
    expect(out.Reservations?.[0]?.Instances?.[0]?.State?.Name).to.equal("stopped");
  });

  it("seeds and changes per-instance transition durations", async () => {
    const created = await control<{ instanceId: string }>("POST", "instances", { stoppingMs: 40, pendingMs: 60 });
    const id = created.body.instanceId;
    expect((await control<InstanceSnapshot>("GET", `instances/${id}`)).body.transitionDurations).to.deep.equal({
      stoppingMs: 40,
      pendingMs: 60,
    });
    const changed = await control<InstanceSnapshot>("POST", `instances/${id}/transition-durations`, { pendingMs: 90 });
    expect(changed.body.transitionDurations).to.deep.equal({ stoppingMs: 40, pendingMs: 90 });
    const refused = await control<{ error: string }>("POST", "instances", { stoppingMs: -5 });
    expect(refused.status).to.equal(400);
    expect(refused.body.error).to.match(/stoppingMs must be a non-negative number/);
  });

  it("changes nested virtualization, state and tags out of band", async () => {
    const id = h.emulator.addInstance({});
    const drift = await control<InstanceSnapshot>("POST", `instances/${id}/nested-virtualization`, {
      value: "enabled",
    });
    expect(drift.body.nestedVirtualization).to.equal("enabled");
    expect(
      (await control<InstanceSnapshot>("POST", `instances/${id}/state`, { state: "stopped" })).body.state,
    ).to.equal("stopped");
    await control("POST", `instances/${id}/tags`, { tags: { a: "1", b: "2" } });
    const afterDelete = await control<InstanceSnapshot>("DELETE", `instances/${id}/tags/a`);
    expect(afterDelete.body.tags).to.deep.equal({ b: "2" });
  });

  it("injects faults and clears them", async () => {
    const id = h.emulator.addInstance({});
    await control("POST", "faults", {
      failNext: { action: "StopInstances", code: "IncorrectInstanceState", message: "nope" },
    });
    await expectEc2Error(
      h.client.send(new StopInstancesCommand({ InstanceIds: [id] })),
      "IncorrectInstanceState",
      "nope",
    );
    await control("POST", "faults", {
      errorRate: { rate: 1, code: "Unavailable" },
      stuckInStopping: { instanceId: id },
    });
    const noRetry = ec2Client(h.emulator, { maxAttempts: 1 });
    await expectEc2Error(noRetry.send(new DescribeInstancesCommand({})), "Unavailable");
    await control("POST", "faults", { clear: true });
    await noRetry.send(new DescribeInstancesCommand({}));
    noRetry.destroy();
    expect(h.emulator.instance(id).stuckInStopping).to.equal(false);
  });

  it("answers actions as not implemented, an HTML page, or any status, as told over HTTP", async () => {
    const id = h.emulator.addInstance({ state: "stopped" });
    const noRetry = ec2Client(h.emulator, { maxAttempts: 1 });
    const modify = (DryRun: boolean) =>
      noRetry.send(new ModifyInstanceCpuOptionsCommand({ InstanceId: id, NestedVirtualization: "enabled", DryRun }));
    await control("POST", "faults", { unimplementedActions: ["ModifyInstanceCpuOptions"] });
    const invalid = await expectEc2Error(modify(true), "InvalidAction", /ModifyInstanceCpuOptions is not valid/);
    expect(invalid.$metadata.httpStatusCode).to.equal(400);
    await expectEc2Error(modify(false), "InvalidAction");
    await control("POST", "faults", {
      unimplementedActions: [],
      failNext: [
        { action: "ModifyInstanceCpuOptions", code: "UnsupportedOperation", dryRun: true },
        { action: "ModifyInstanceCpuOptions", code: "InternalError", status: 500, html: true, dryRun: false },
      ],
    });
    await expectEc2Error(modify(true), "UnsupportedOperation");
    const html = await modify(false).catch(
      (error: { $metadata?: { httpStatusCode?: number }; message: string }) => error,
    );
    expect(html).to.have.nested.property("$metadata.httpStatusCode", 500);
    expect((html as Error).message).to.contain("XML parse error");
    noRetry.destroy();
    expect(h.emulator.calls.map((c) => c.errorCode)).to.deep.equal([
      "InvalidAction",
      "InvalidAction",
      "UnsupportedOperation",
      "InternalError",
    ]);
    expect(h.emulator.instance(id).nestedVirtualization).to.equal("disabled");
  });

  it("denies and re-allows actions", async () => {
    const id = h.emulator.addInstance({});
    const denied = await control<{ denied: string[] }>("POST", "permissions", { deny: ["StopInstances"] });
    expect(denied.body.denied).to.deep.equal(["StopInstances"]);
    await expectEc2Error(h.client.send(new StopInstancesCommand({ InstanceIds: [id] })), "UnauthorizedOperation");
    await control("POST", "permissions", { allowAll: true });
    await h.client.send(new StopInstancesCommand({ InstanceIds: [id] }));
  });

  it("returns and resets the call log", async () => {
    const id = h.emulator.addInstance({});
    await h.client.send(new DescribeInstancesCommand({}));
    await h.client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    const calls = await control<CallRecord[]>("GET", "calls");
    expect(calls.body.map((c) => c.action)).to.deep.equal(["DescribeInstances", "StopInstances"]);
    const mutating = await control<CallRecord[]>("GET", "calls?mutating=true");
    expect(mutating.body.map((c) => c.action)).to.deep.equal(["StopInstances"]);
    expect((await control<Record<string, number>>("GET", "call-counts")).body).to.deep.equal({
      DescribeInstances: 1,
      StopInstances: 1,
    });
    await control("POST", "reset-calls");
    expect((await control<CallRecord[]>("GET", "calls")).body).to.deep.equal([]);
  });

  it("adds instance types", async () => {
    const added = await control("POST", "instance-types", {
      instanceType: "z9.large",
      defaultVCpus: 2,
      supportedFeatures: ["nested-virtualization"],
    });
    expect(added.status).to.equal(201);
    expect(h.emulator.instanceType("z9.large")?.defaultCores).to.equal(1);
  });

  it("answers 404 for unknown instances/routes and 400 for bad bodies", async () => {
    expect((await control("GET", "instances/i-0123456789abcdef0")).status).to.equal(404);
    expect((await control("GET", "nope")).status).to.equal(404);
    expect((await control("POST", "instances", { state: "exploded" })).status).to.equal(400);
    expect((await control("POST", "instances", { instanceType: "no.such" })).status).to.equal(400);
    const id = h.emulator.addInstance({});
    expect((await control("POST", `instances/${id}/nested-virtualization`, { value: 1 })).status).to.equal(400);
  });
});
