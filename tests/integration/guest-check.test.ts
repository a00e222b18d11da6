import { expect } from "chai";
import { mostNotRunningAtOnce } from "../../emulator";
import { BlockedError, GuestCheckFailedError, JOURNAL_TAG_KEY, RolloutHaltedError } from "../../provider/engine";
import { encodeJournal } from "../../provider/engine/journal";
import { FAST_TRANSITIONS, mutatingActions, seeded, useEmulator } from "../support/emulated";
import { rejection } from "../support/rejection";

const CYCLE_THEN_CHECK = [
  "CreateTags",
  "StopInstances",
  "ModifyInstanceCpuOptions",
  "StartInstances",
  "DeleteTags",
  "SendCommand",
];

const SSM_CALLS = ["DescribeInstanceInformation", "SendCommand", "GetCommandInvocation"];

describe("verifyInGuest: proof inside the guest (real @aws-sdk/client-ssm against the emulator)", () => {
  const ctx = useEmulator(FAST_TRANSITIONS);

  /** The emulator's log of every call but DryRuns, as action names in order. */
  const actions = () => ctx.emulator.calls.filter((c) => !c.dryRun).map((c) => c.action);

  it("checks /dev/kvm and vmx inside a Linux guest after the start and records when it held", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, {}, { verifyInGuest: true });
    const applied = await ctx.engine().apply(desired);

    expect(mutatingActions(ctx.emulator)).to.deep.equal(CYCLE_THEN_CHECK);
    const log = actions();
    // The agent is asked about before anything is stopped; the command's outcome is read after it is sent.
    expect(log.indexOf("DescribeInstanceInformation")).to.be.lessThan(log.indexOf("StopInstances"));
    expect(log.lastIndexOf("GetCommandInvocation")).to.be.greaterThan(log.indexOf("SendCommand"));
    const send = ctx.emulator.calls.find((c) => c.action === "SendCommand");
    expect(send?.instanceIds).to.deep.equal([instanceId]);
    expect(send?.params.DocumentName).to.equal("AWS-RunShellScript");
    expect(send?.params.Parameters).to.include("/dev/kvm").and.include("vmx");
    expect(applied.lastCycle?.guestVerifiedAt).to.be.a("string");
    expect(Date.parse(applied.lastCycle?.guestVerifiedAt ?? "")).to.be.at.least(
      Date.parse(applied.lastCycle?.startedAt ?? ""),
    );
    expect(ctx.emulator.instance(instanceId)).to.include({ state: "running", nestedVirtualization: "enabled" });
  });

  it("checks after the health gate when both are asked for", async () => {
    const { desired } = seeded(ctx.emulator, {}, { verifyInGuest: true, waitForStatusChecks: true });
    const applied = await ctx.engine().apply(desired);

    const log = actions();
    expect(log.lastIndexOf("DescribeInstanceStatus")).to.be.lessThan(log.indexOf("SendCommand"));
    expect(Date.parse(applied.lastCycle?.guestVerifiedAt ?? "")).to.be.at.least(
      Date.parse(applied.lastCycle?.healthyAt ?? ""),
    );
  });

  it("fails naming the instance and the guest's output when the guest lacks /dev/kvm, and leaves it running", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, {}, { verifyInGuest: true });
    ctx.emulator.setGuest(instanceId, { kvmModule: false });

    const error = await rejection(ctx.engine().apply(desired));

    expect(error).to.be.instanceOf(GuestCheckFailedError);
    expect(error.message).to.include(instanceId);
    expect(error.message).to.include("/dev/kvm: missing").and.include("cpu flag vmx: present");
    expect(error.message)
      .to.match(/lacks the kvm modules/)
      .and.match(/modprobe kvm_intel/);
    expect(error.message).to.include("keeps running");
    expect((error as GuestCheckFailedError).output).to.include("/dev/kvm: missing");
    // Nothing to undo: one stop, one start, the instance up with the new setting and no journal left.
    expect(mutatingActions(ctx.emulator)).to.deep.equal(CYCLE_THEN_CHECK);
    const live = ctx.emulator.instance(instanceId);
    expect(live).to.include({ state: "running", nestedVirtualization: "enabled" });
    expect(live.tags).to.not.have.property(JOURNAL_TAG_KEY);
  });

  it("asks the guest again on the next apply without stopping it, until the guest is fixed", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, {}, { verifyInGuest: true });
    ctx.emulator.setGuest(instanceId, { kvmModule: false });
    await rejection(ctx.engine().apply(desired));
    ctx.emulator.resetCalls();

    const again = await rejection(ctx.engine().apply(desired));
    expect(again).to.be.instanceOf(GuestCheckFailedError);
    expect(mutatingActions(ctx.emulator)).to.deep.equal(["SendCommand"]);

    ctx.emulator.setGuest(instanceId, { kvmModule: true });
    ctx.emulator.resetCalls();
    const applied = await ctx.engine().apply(desired);
    expect(mutatingActions(ctx.emulator)).to.deep.equal(["SendCommand"]);
    expect(applied.nestedVirtualization).to.equal("enabled");
  });

  it("blocks an instance without a managed SSM agent at preview and apply, before any stop", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, {}, { verifyInGuest: true });
    ctx.emulator.setGuest(instanceId, { ssmAgent: "none" });
    const engine = ctx.engine();

    const { plan } = await engine.inspect(desired, { checkPermissions: true });
    expect(plan.blockers.map((b) => b.code)).to.deep.equal(["no-ssm-agent"]);
    expect(plan.blockers[0]?.attribute).to.equal("verifyInGuest");
    expect(plan.blockers[0]?.message).to.include(instanceId).and.include("AmazonSSMManagedInstanceCore");

    const error = await rejection(engine.apply(desired));
    expect(error).to.be.instanceOf(BlockedError);
    expect(error.message).to.include("has no managed SSM agent").and.include("was not stopped");
    expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
    expect(ctx.emulator.stateHistory([instanceId])[instanceId]?.map((s) => s.state)).to.deep.equal(["running"]);
  });

  it("blocks when the caller may not call ssm:DescribeInstanceInformation (SSM has no DryRun: the read proves it)", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, {}, { verifyInGuest: true });
    ctx.emulator.permissions.deny("DescribeInstanceInformation");

    const error = await rejection(ctx.engine().apply(desired));
    expect(error).to.be.instanceOf(BlockedError);
    expect(error.message).to.include("ssm:DescribeInstanceInformation").and.include(instanceId);
    expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
  });

  it("uses AWS-RunPowerShellScript on Windows and accepts virtualization firmware enabled", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, { platform: "windows" }, { verifyInGuest: true });
    const applied = await ctx.engine().apply(desired);

    const send = ctx.emulator.calls.find((c) => c.action === "SendCommand");
    expect(send?.instanceIds).to.deep.equal([instanceId]);
    expect(send?.params.DocumentName).to.equal("AWS-RunPowerShellScript");
    expect(send?.params.Parameters).to.include("Win32_Processor").and.include("VirtualizationFirmwareEnabled");
    expect(applied.lastCycle?.guestVerifiedAt).to.be.a("string");
  });

  it("makes no Systems Manager call without verifyInGuest, nor when disabling", async () => {
    const plain = seeded(ctx.emulator);
    await ctx.engine().apply(plain.desired);
    const disabling = seeded(
      ctx.emulator,
      { nestedVirtualization: "enabled" },
      { verifyInGuest: true, nestedVirtualization: "disabled" },
    );
    await ctx.engine().apply(disabling.desired);

    expect(actions().filter((a) => SSM_CALLS.includes(a))).to.deep.equal([]);
  });

  it("leaves a stopped instance stopped and unchecked: there is no guest to ask", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, { state: "stopped" }, { verifyInGuest: true });
    const applied = await ctx.engine().apply(desired);

    expect(mutatingActions(ctx.emulator)).to.deep.equal(["ModifyInstanceCpuOptions"]);
    expect(ctx.emulator.instance(instanceId).state).to.equal("stopped");
    expect(applied.lastCycle).to.not.have.property("guestVerifiedAt");
  });

  it("finishes a cycle interrupted after the stop, then checks the guest it started", async () => {
    const journal = encodeJournal({
      priorState: "running",
      from: "disabled",
      to: "enabled",
      startedAt: new Date(Date.now() - 60_000).toISOString(),
    });
    const { instanceId, desired } = seeded(
      ctx.emulator,
      { state: "stopped", nestedVirtualization: "enabled", tags: { [JOURNAL_TAG_KEY]: journal } },
      { verifyInGuest: true },
    );

    const applied = await ctx.engine().apply(desired);

    expect(mutatingActions(ctx.emulator)).to.deep.equal(["StartInstances", "DeleteTags", "SendCommand"]);
    expect(ctx.emulator.instance(instanceId).state).to.equal("running");
    expect(applied.nestedVirtualization).to.equal("enabled");
  });

  it("still starts an interrupted cycle's instance again when its guest cannot be checked, then names the blocker", async () => {
    const journal = encodeJournal({
      priorState: "running",
      from: "disabled",
      to: "enabled",
      startedAt: new Date(Date.now() - 60_000).toISOString(),
    });
    const { instanceId, desired } = seeded(
      ctx.emulator,
      { state: "stopped", nestedVirtualization: "enabled", tags: { [JOURNAL_TAG_KEY]: journal } },
      { verifyInGuest: true },
    );
    ctx.emulator.setGuest(instanceId, { ssmAgent: "none" });

    const error = await rejection(ctx.engine().apply(desired));

    expect(error).to.be.instanceOf(BlockedError);
    expect(error.message).to.include("has no managed SSM agent");
    expect(mutatingActions(ctx.emulator)).to.deep.equal(["StartInstances", "DeleteTags"]);
    expect(ctx.emulator.instance(instanceId).state).to.equal("running");
  });

  it("bounds the check by timeouts.healthy and says so, the instance left running", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, {}, { verifyInGuest: true });
    desired.timeouts.healthySeconds = 1;
    ctx.emulator.ssm.runMs = 60_000;

    const began = Date.now();
    const error = await rejection(ctx.engine().apply(desired));
    expect(Date.now() - began).to.be.below(10_000);
    expect(error).to.be.instanceOf(GuestCheckFailedError);
    expect(error.message).to.include(instanceId).and.include("did not finish within timeouts.healthy (1s)");
    expect(ctx.emulator.instance(instanceId)).to.include({ state: "running", nestedVirtualization: "enabled" });
  });

  it("ends the check when the run is told to stop, saying the guest is unproven", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, {}, { verifyInGuest: true });
    ctx.emulator.ssm.runMs = 60_000;
    const control = new AbortController();
    const sent = setInterval(() => {
      if (ctx.emulator.calls.some((c) => c.action === "SendCommand")) control.abort();
    }, 10);

    const error = await rejection(ctx.engine().apply(desired, { signal: control.signal })).finally(() =>
      clearInterval(sent),
    );
    expect(error).to.be.instanceOf(GuestCheckFailedError);
    expect(error.message).to.include("told to stop").and.include("unproven");
    expect(ctx.emulator.instance(instanceId)).to.include({ state: "running", nestedVirtualization: "enabled" });
  });

  describe("in a rollout group", () => {
    const stops = () => ctx.emulator.mutatingCalls().filter((c) => c.action === "StopInstances");

    it("a failed check halts the group: the next member is not stopped", async () => {
      const group = { verifyInGuest: true, rolloutGroup: "builders", maxUnavailable: 1 };
      const [broken, next] = [seeded(ctx.emulator, {}, group), seeded(ctx.emulator, {}, group)];
      ctx.emulator.setGuest(broken.instanceId, { kvmModule: false });
      const engine = ctx.engine();

      expect(await rejection(engine.apply(broken.desired))).to.be.instanceOf(GuestCheckFailedError);
      const halted = await rejection(engine.apply(next.desired));
      expect(halted).to.be.instanceOf(RolloutHaltedError);
      expect(halted.message).to.include(broken.instanceId);
      expect(stops().flatMap((c) => c.instanceIds)).to.deep.equal([broken.instanceId]);
    });

    it("holds the member's slot until its guest is proven, so no other member stops before a failure shows", async () => {
      const group = { verifyInGuest: true, rolloutGroup: "builders", maxUnavailable: 1 };
      const members = [0, 1, 2, 3].map(() => seeded(ctx.emulator, {}, group));
      const broken = members[2]?.instanceId ?? "";
      ctx.emulator.setGuest(broken, { kvmModule: false });
      const engine = ctx.engine();

      const outcomes = await Promise.allSettled(members.map((m) => engine.apply(m.desired)));

      const failed = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as Error] : []));
      expect(failed.filter((e) => e instanceof GuestCheckFailedError).map((e) => e.message)).to.have.length(1);
      expect(failed.every((e) => e instanceof GuestCheckFailedError || e instanceof RolloutHaltedError)).to.equal(true);
      // Every stop of another member came before the broken one's: none while its check was pending, none after.
      const brokenStop = stops().find((c) => c.instanceIds.includes(broken));
      const others = stops().filter((c) => !c.instanceIds.includes(broken));
      expect(others.every((c) => c.seq < (brokenStop?.seq ?? 0))).to.equal(true);
      const sends = ctx.emulator.mutatingCalls().filter((c) => c.action === "SendCommand");
      for (const stop of others) {
        const own = sends.find((s) => s.instanceIds[0] === stop.instanceIds[0]);
        expect(own?.seq, "a member's check ends before the next member stops").to.be.lessThan(brokenStop?.seq ?? 0);
      }
      const ids = members.map((m) => m.instanceId);
      expect(mostNotRunningAtOnce(ctx.emulator.stateHistory(ids))).to.equal(1);
    });
  });
});
