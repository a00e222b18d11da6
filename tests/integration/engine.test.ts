import { expect } from "chai";
import {
  BlockedError,
  CycleFailedError,
  FAILED_CYCLE_TAG_KEY,
  JOURNAL_TAG_KEY,
  WaitTimeoutError,
} from "../../provider/engine";
import { decodeJournal, isLeaseHeld } from "../../provider/engine/journal";
import { FAST_TRANSITIONS, mutatingActions, seeded, useEmulator } from "../support/emulated";
import { rejection } from "../support/rejection";

const FULL_CYCLE = ["CreateTags", "StopInstances", "ModifyInstanceCpuOptions", "StartInstances", "DeleteTags"];

describe("the engine against the EC2 emulator (real SDK over HTTP)", () => {
  const ctx = useEmulator(FAST_TRANSITIONS);

  it("enables a running instance with Stop → Modify → Start and leaves it running", async () => {
    const { instanceId, desired } = seeded(ctx.emulator);
    const applied = await ctx.engine().apply(desired);

    expect(mutatingActions(ctx.emulator)).to.deep.equal(FULL_CYCLE);
    const live = ctx.emulator.instance(instanceId);
    expect(live.state).to.equal("running");
    expect(live.nestedVirtualization).to.equal("enabled");
    expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
    expect(applied.nestedVirtualization).to.equal("enabled");
    expect(applied.instanceState).to.equal("running");
    expect(applied.previousNestedVirtualization).to.equal("disabled");
    expect(applied.lastCycle?.stoppedAt).to.be.a("string");
    expect(applied.lastCycle?.startedAt).to.be.a("string");
    expect(applied.lastCycle?.downtimeSeconds).to.be.greaterThan(0);
  });

  it("modifies a stopped instance and leaves it stopped", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, { state: "stopped" });
    const applied = await ctx.engine().apply(desired);

    expect(mutatingActions(ctx.emulator)).to.deep.equal(["ModifyInstanceCpuOptions"]);
    expect(ctx.emulator.instance(instanceId).state).to.equal("stopped");
    expect(applied.instanceState).to.equal("stopped");
    expect(applied.lastCycle?.downtimeSeconds).to.equal(0);
    expect(applied.lastCycle).to.not.have.property("startedAt");
    expect(applied.lastCycle).to.not.have.property("stoppedAt");
  });

  it("disables nested virtualization", async () => {
    const { instanceId, desired } = seeded(
      ctx.emulator,
      { nestedVirtualization: "enabled" },
      { nestedVirtualization: "disabled" },
    );
    await ctx.engine().apply(desired);
    expect(mutatingActions(ctx.emulator)).to.deep.equal(FULL_CYCLE);
    expect(ctx.emulator.instance(instanceId).nestedVirtualization).to.equal("disabled");
  });

  it("makes zero mutating calls when the instance is already enabled", async () => {
    const { desired } = seeded(ctx.emulator, { nestedVirtualization: "enabled" });
    const applied = await ctx.engine().apply(desired);
    expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
    expect(applied.lastCycle).to.equal(undefined);
  });

  it("reports the public IP change and the IP actually changes", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, { publicIp: "ephemeral" });
    const before = ctx.emulator.instance(instanceId).publicIp;
    const applied = await ctx.engine().apply(desired);
    expect(applied.warnings.join("\n")).to.contain(String(before));
    expect(ctx.emulator.instance(instanceId).publicIp).to.not.equal(before);
  });

  describe("blocked before any mutating call", () => {
    const cases: [string, Parameters<typeof seeded>[1], string][] = [
      [
        "an instance type without nested virtualization",
        { instanceType: "m6i.large" },
        "does not support nested virtualization",
      ],
      ["a Spot Instance", { spot: true }, "Spot Instance"],
      ["hibernation configured", { hibernationConfigured: true }, "hibernation"],
      ["an instance-store root device", { rootDeviceType: "instance-store" }, "instance-store root"],
      ["Windows on more than 192 vCPUs", { platform: "windows", instanceType: "m8i.96xlarge" }, "at most 192"],
      [
        "an Auto Scaling group member",
        { tags: { "aws:autoscaling:groupName": "ci-fleet" } },
        'Set autoScaling to "standby"',
      ],
      ["a terminated instance", { state: "terminated" }, "terminated"],
    ];
    for (const [what, seed, phrase] of cases) {
      it(`refuses ${what}`, async () => {
        const { instanceId, desired } = seeded(ctx.emulator, seed);
        const error = await rejection(ctx.engine().apply(desired));
        expect(error).to.be.instanceOf(BlockedError);
        expect(error.message).to.contain(instanceId).and.contain(phrase);
        expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
      });
    }

    it("refuses an instance that does not exist, naming the region", async () => {
      const { desired } = seeded(ctx.emulator);
      const error = await rejection(ctx.engine().apply({ ...desired, instanceId: "i-00000000000000000" }));
      expect(error.message).to.contain("i-00000000000000000 was not found in region us-east-1");
      expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
    });

    it("refuses when a DryRun shows a missing IAM permission, before stopping", async () => {
      const { instanceId, desired } = seeded(ctx.emulator);
      ctx.emulator.permissions.deny("ModifyInstanceCpuOptions");
      const error = await rejection(ctx.engine().apply(desired));
      expect(error.message).to.contain("ec2:ModifyInstanceCpuOptions");
      expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
      expect(ctx.emulator.calls.filter((c) => c.dryRun).map((c) => c.action)).to.include("ModifyInstanceCpuOptions");
      expect(ctx.emulator.instance(instanceId).state).to.equal("running");
    });

    it("allows an Auto Scaling group member when the user says so", async () => {
      const { desired } = seeded(
        ctx.emulator,
        { tags: { "aws:autoscaling:groupName": "ci-fleet" } },
        { autoScaling: "allow" },
      );
      const applied = await ctx.engine().apply(desired);
      expect(mutatingActions(ctx.emulator)).to.deep.equal(FULL_CYCLE);
      expect(applied.warnings.join("\n")).to.contain("ci-fleet");
    });
  });

  it("starts the instance again in its old configuration when the modify fails after the stop", async () => {
    const { instanceId, desired } = seeded(ctx.emulator);
    ctx.emulator.faults.failNext("ModifyInstanceCpuOptions", "InvalidParameterCombination", "simulated rejection", 1, {
      dryRun: false,
    });
    const error = await rejection(ctx.engine().apply(desired));

    expect(error).to.be.instanceOf(CycleFailedError);
    expect((error as CycleFailedError).restored).to.equal(true);
    expect(error.message).to.contain(instanceId).and.contain("simulated rejection").and.contain("started again");
    // The last CreateTags records the failure, so the next run does not stop the instance again for it.
    expect(mutatingActions(ctx.emulator)).to.deep.equal([...FULL_CYCLE, "CreateTags"]);
    const live = ctx.emulator.instance(instanceId);
    expect(live.state).to.equal("running");
    expect(live.nestedVirtualization).to.equal("disabled");
    expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
    expect(live.tags[FAILED_CYCLE_TAG_KEY]).to.contain("simulated rejection");
  });

  it("starts the instance again when the SDK gives up on StartInstances after the modify", async () => {
    const { instanceId, desired } = seeded(ctx.emulator);
    ctx.emulator.faults.failNext("StartInstances", "VcpuLimitExceeded", "vCPU limit reached", 1, {
      dryRun: false,
    });
    const error = await rejection(ctx.engine().apply(desired));

    expect(error).to.be.instanceOf(CycleFailedError);
    expect(error.message)
      .to.contain(`StartInstances failed on ${instanceId}`)
      .and.contain("started again and has NestedVirtualization=enabled");
    expect(mutatingActions(ctx.emulator)).to.deep.equal([
      "CreateTags",
      "StopInstances",
      "ModifyInstanceCpuOptions",
      "StartInstances",
      "StartInstances",
      "DeleteTags",
    ]);
    const live = ctx.emulator.instance(instanceId);
    expect([live.state, live.nestedVirtualization]).to.deep.equal(["running", "enabled"]);
    expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
  });

  it("does not stop the instance when the journal cannot be written", async () => {
    const { instanceId, desired } = seeded(ctx.emulator);
    ctx.emulator.faults.failNext("CreateTags", "InvalidParameterValue", "tag rejected", 1, { dryRun: false });
    const error = await rejection(ctx.engine().apply(desired));
    expect(error.message).to.contain(`CreateTags failed on ${instanceId}`).and.contain("tag rejected");
    expect(mutatingActions(ctx.emulator)).to.deep.equal(["CreateTags"]);
    expect(ctx.emulator.instance(instanceId).state).to.equal("running");
  });

  it("reports a refused modify on a stopped instance with the instance and leaves it stopped", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, { state: "stopped" });
    ctx.emulator.faults.failNext("ModifyInstanceCpuOptions", "InvalidParameterCombination", "simulated rejection", 1, {
      dryRun: false,
    });
    const error = await rejection(ctx.engine().apply(desired));
    expect(error).to.be.instanceOf(CycleFailedError);
    expect(error.message)
      .to.contain(`ModifyInstanceCpuOptions failed on ${instanceId}`)
      .and.contain("simulated rejection");
    expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "stopped", nestedVirtualization: "disabled" });
  });

  it("rides out a throttling storm through the SDK's retries", async () => {
    const { instanceId, desired } = seeded(ctx.emulator);
    for (const action of ["DescribeInstances", "StopInstances", "ModifyInstanceCpuOptions", "StartInstances"]) {
      ctx.emulator.faults.failNext(action, "RequestLimitExceeded", undefined, 2, { dryRun: false });
    }
    await ctx.engine().apply(desired);

    const throttled = ctx.emulator.calls.filter((c) => c.errorCode === "RequestLimitExceeded").map((c) => c.action);
    expect(throttled).to.have.length(8);
    expect(ctx.emulator.instance(instanceId).nestedVirtualization).to.equal("enabled");
    expect(
      ctx.emulator
        .mutatingCalls()
        .filter((c) => !c.errorCode)
        .map((c) => c.action),
    ).to.deep.equal(FULL_CYCLE);
  });

  it("finishes a cycle interrupted after the stop, from the journal on the instance", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, { state: "stopped" });
    ctx.emulator.setTag(
      instanceId,
      JOURNAL_TAG_KEY,
      JSON.stringify({ v: 1, prior: "running", from: "disabled", to: "enabled", at: "2026-11-27T00:00:00.000Z" }),
    );
    const applied = await ctx.engine().apply(desired);

    expect(mutatingActions(ctx.emulator)).to.deep.equal(["ModifyInstanceCpuOptions", "StartInstances", "DeleteTags"]);
    const live = ctx.emulator.instance(instanceId);
    expect(live.state).to.equal("running");
    expect(live.nestedVirtualization).to.equal("enabled");
    expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
    expect(applied.warnings.join("\n")).to.contain("interrupted cycle");
  });

  it("gives up a stuck stop with a clear timeout and keeps the journal for the next run", async () => {
    const { instanceId, desired } = seeded(ctx.emulator);
    ctx.emulator.faults.stuckInStopping(instanceId);
    const error = await rejection(
      ctx.engine().apply({ ...desired, timeouts: { ...desired.timeouts, stopSeconds: 0.3 } }),
    );

    expect(error).to.be.instanceOf(WaitTimeoutError);
    expect(error.message).to.contain(instanceId).and.contain('still "stopping"').and.contain("run the update again");
    // The journal stays for the next run; its lease is given up (the second CreateTags rewrites it).
    expect(mutatingActions(ctx.emulator)).to.deep.equal(["CreateTags", "StopInstances", "CreateTags"]);
    const decoded = decodeJournal(ctx.emulator.instance(instanceId).tags[JOURNAL_TAG_KEY]);
    const journal = "journal" in decoded ? decoded.journal : expect.fail(`unreadable journal: ${decoded.problem}`);
    expect(isLeaseHeld(journal, Date.now())).to.equal(false);

    ctx.emulator.faults.stuckInStopping(instanceId, false);
    await ctx.engine().apply(desired);
    const live = ctx.emulator.instance(instanceId);
    expect([live.state, live.nestedVirtualization]).to.deep.equal(["running", "enabled"]);
  });

  it("looks each instance type up once for a whole fleet", async () => {
    const fleet = [seeded(ctx.emulator), seeded(ctx.emulator), seeded(ctx.emulator)];
    const engine = ctx.engine();
    await Promise.all(fleet.map(({ desired }) => engine.apply(desired)));
    expect(ctx.emulator.callCounts().DescribeInstanceTypes).to.equal(1);
  });

  it("coalesces lookups made together into one DescribeInstances call, unknown IDs included", async () => {
    const ids = [
      seeded(ctx.emulator).instanceId,
      seeded(ctx.emulator).instanceId,
      "i-00000000000000000",
      seeded(ctx.emulator).instanceId,
    ];
    const engine = ctx.engine();
    ctx.emulator.resetCalls();
    const states = await Promise.all(ids.map((id) => engine.read(id)));
    expect(states.map((s) => s?.instanceState)).to.deep.equal(["running", "running", undefined, "running"]);
    // One batched call; EC2 rejects it naming the unknown ID, so the others are asked again together.
    const describes = ctx.emulator.calls.filter((c) => c.action === "DescribeInstances");
    expect(describes.map((c) => c.instanceIds)).to.deep.equal([ids, ids.filter((id) => id !== "i-00000000000000000")]);
  });

  it("reads a fleet of known instances with a single DescribeInstances call", async () => {
    const ids = Array.from({ length: 25 }, () => seeded(ctx.emulator).instanceId);
    const engine = ctx.engine();
    ctx.emulator.resetCalls();
    await Promise.all(ids.map((id) => engine.read(id)));
    expect(ctx.emulator.callCounts().DescribeInstances).to.equal(1);
  });

  describe("delete", () => {
    it("keeps the setting by default, without any EC2 call", async () => {
      const { desired } = seeded(ctx.emulator, { nestedVirtualization: "enabled" });
      ctx.emulator.resetCalls();
      await ctx.engine().remove(desired, "disabled");
      expect(ctx.emulator.calls).to.deep.equal([]);
    });

    it("restores the previous setting with onDelete=restore", async () => {
      const { instanceId, desired } = seeded(
        ctx.emulator,
        { nestedVirtualization: "enabled" },
        { onDelete: "restore" },
      );
      await ctx.engine().remove(desired, "disabled");
      expect(mutatingActions(ctx.emulator)).to.deep.equal(FULL_CYCLE);
      expect(ctx.emulator.instance(instanceId).nestedVirtualization).to.equal("disabled");
    });

    it("does nothing for an instance that is already gone", async () => {
      const { desired } = seeded(ctx.emulator, { state: "terminated" }, { onDelete: "restore" });
      await ctx.engine().remove(desired, "disabled");
      expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
    });
  });

  describe("read", () => {
    it("reports the live setting and state", async () => {
      const { instanceId } = seeded(ctx.emulator, { nestedVirtualization: "enabled", state: "stopped" });
      expect(await ctx.engine().read(instanceId)).to.deep.include({
        nestedVirtualization: "enabled",
        instanceState: "stopped",
        instanceType: "m8i.large",
      });
    });

    it("reads a terminated or unknown instance as gone", async () => {
      const { instanceId } = seeded(ctx.emulator, { state: "terminated" });
      expect(await ctx.engine().read(instanceId)).to.equal(undefined);
      expect(await ctx.engine().read("i-00000000000000000")).to.equal(undefined);
    });
  });
});
