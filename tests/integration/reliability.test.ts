import { expect } from "chai";
import {
  BlockedError,
  CancelledError,
  JOURNAL_TAG_KEY,
  type NestedVirtSetting,
  WaitTimeoutError,
} from "../../provider/engine";
import { applyTogether } from "../support/apply-processes";
import { FAST_TRANSITIONS, mutatingActions, seeded, useEmulator } from "../support/emulated";
import { rejection } from "../support/rejection";

const FULL_CYCLE = ["CreateTags", "StopInstances", "ModifyInstanceCpuOptions", "StartInstances", "DeleteTags"];

describe("reliability: stop protection, journals, start failures, cancellation (real SDK over HTTP)", () => {
  const ctx = useEmulator(FAST_TRANSITIONS);

  it("blocks an instance with stop protection at inspection, with zero mutating calls", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, { disableApiStop: true });
    const { plan } = await ctx.engine().inspect(desired, { checkPermissions: true });
    expect(plan.blockers.map((b) => b.code)).to.deep.equal(["stop-protected"]);
    expect(plan.blockers[0]?.message).to.contain(instanceId).and.contain("--no-disable-api-stop");
    expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
    expect(ctx.emulator.calls.map((c) => c.action)).to.include("DescribeInstanceAttribute");
  });

  it("an apply that meets stop protection (turned on after the plan) is refused before anything stops, and takes its journal off", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, { disableApiStop: true });
    const error = await rejection(ctx.engine().apply(desired));
    expect(error).to.be.instanceOf(BlockedError);
    expect(error.message).to.contain(instanceId).and.contain("disableApiStop").and.contain("--no-disable-api-stop");
    // The apply does not read the attribute again: EC2's refusal of the stop says the same.
    expect(ctx.emulator.calls.map((c) => c.action)).not.to.include("DescribeInstanceAttribute");
    expect(mutatingActions(ctx.emulator)).to.deep.equal(["CreateTags", "StopInstances", "DeleteTags"]);
    const stop = ctx.emulator.calls.find((c) => c.action === "StopInstances" && !c.dryRun);
    expect(stop?.errorCode).to.equal("OperationNotPermitted");
    expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "disabled" });
    expect(ctx.emulator.instance(instanceId).tags[JOURNAL_TAG_KEY]).to.equal(undefined);
  });

  it("modifies a stopped instance with stop protection: it need not be stopped", async () => {
    const { instanceId, desired } = seeded(ctx.emulator, { disableApiStop: true, state: "stopped" });
    await ctx.engine().apply(desired);
    expect(mutatingActions(ctx.emulator)).to.deep.equal(["ModifyInstanceCpuOptions"]);
    expect(ctx.emulator.instance(instanceId).nestedVirtualization).to.equal("enabled");
  });

  it("names ec2:DescribeInstanceAttribute when the stop-protection check is not permitted", async () => {
    const { desired } = seeded(ctx.emulator);
    ctx.emulator.permissions.deny("DescribeInstanceAttribute");
    const { plan } = await ctx.engine().inspect(desired, { checkPermissions: true });
    expect(plan.blockers.map((b) => b.message).join("\n")).to.contain("ec2:DescribeInstanceAttribute");
    expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
  });

  describe("an unreadable journal blocks the run and leaves the instance untouched", () => {
    const cases: [string, string, NestedVirtSetting, string][] = [
      ["garbage, the instance already as desired", "garbage", "enabled", "it is not JSON"],
      ["garbage, the instance not as desired", "{not json", "disabled", "it is not JSON"],
      [
        "a journal from a newer version",
        '{"v":9,"prior":"running","from":"disabled","to":"enabled","at":"2026-01-01T00:00:00Z"}',
        "disabled",
        "journal version 9",
      ],
    ];
    for (const [what, value, setting, problem] of cases) {
      it(what, async () => {
        const { instanceId, desired } = seeded(ctx.emulator, {
          state: "stopped",
          nestedVirtualization: setting,
          tags: { [JOURNAL_TAG_KEY]: value },
        });
        const error = await rejection(ctx.engine().apply(desired));
        expect(error).to.be.instanceOf(BlockedError);
        expect(error.message)
          .to.contain(JOURNAL_TAG_KEY)
          .and.contain(problem)
          .and.contain(`aws ec2 delete-tags --resources ${instanceId} --tags Key=${JOURNAL_TAG_KEY}`);
        expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
        expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "stopped", nestedVirtualization: setting });
      });
    }
  });

  it("a start that does not come up for another reason than capacity: one StartInstances, one error carrying EC2's StateReason", async () => {
    const { instanceId, desired } = seeded(
      ctx.emulator,
      {},
      { timeouts: { stopSeconds: 60, startSeconds: 1, healthySeconds: 60 } },
    );
    ctx.emulator.failNextStart(instanceId, {
      code: "Server.InternalError",
      message: "Server.InternalError: Internal error on launch.",
    });
    const error = await rejection(ctx.engine().apply(desired));
    expect(error).to.be.instanceOf(WaitTimeoutError);
    expect(error.message)
      .to.contain(`did not reach "running" within 1s`)
      .and.contain("Server.InternalError: Internal error on launch")
      .and.not.contain("..");
    expect(error.message.match(/did not reach/g)).to.have.length(1);
    expect(mutatingActions(ctx.emulator)).to.deep.equal([
      "CreateTags",
      "StopInstances",
      "ModifyInstanceCpuOptions",
      "StartInstances",
      "CreateTags", // the journal stays for the next run, with this run's lease given up
    ]);
    expect(ctx.emulator.instance(instanceId).tags).to.have.property(JOURNAL_TAG_KEY);
  });

  describe("messages say where the instance is, once, without doubled periods", () => {
    it("a DeleteTags failure after a completed cycle says the instance is running", async () => {
      const { instanceId, desired } = seeded(ctx.emulator);
      ctx.emulator.faults.failNext("DeleteTags", "UnauthorizedOperation", "You are not authorized.", 1, {
        dryRun: false,
      });
      const error = await rejection(ctx.engine().apply(desired));
      expect(error.message)
        .to.contain(`${instanceId} is running with NestedVirtualization=enabled`)
        .and.contain(JOURNAL_TAG_KEY)
        .and.not.contain("stopping")
        .and.not.contain("..");
      expect(ctx.emulator.instance(instanceId).state).to.equal("running");
    });

    it("an EC2 message ending in a period is not followed by another", async () => {
      const { desired } = seeded(ctx.emulator);
      ctx.emulator.faults.failNext("ModifyInstanceCpuOptions", "InvalidParameterCombination", "Not now.", 1, {
        dryRun: false,
      });
      const error = await rejection(ctx.engine().apply(desired));
      expect(error.message).to.contain(
        "InvalidParameterCombination (HTTP 400): Not now. The instance was started again",
      );
      expect(error.message).to.not.contain("..");
    });
  });

  describe("told to stop", () => {
    it("before the stop: no StopInstances, and its journal is taken off again", async () => {
      const { instanceId, desired } = seeded(ctx.emulator);
      const controller = new AbortController();
      const applying = ctx.engine().apply(desired, { signal: controller.signal });
      while (!mutatingActions(ctx.emulator).includes("CreateTags")) await new Promise((r) => setTimeout(r, 2));
      controller.abort();
      const error = await rejection(applying);
      expect(error).to.be.instanceOf(CancelledError);
      expect(mutatingActions(ctx.emulator)).to.deep.equal(["CreateTags", "DeleteTags"]);
      expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "disabled" });
      expect(ctx.emulator.instance(instanceId).tags).to.not.have.property(JOURNAL_TAG_KEY);
    });

    it("after the stop: finishes the cycle up to running again", async () => {
      const { instanceId, desired } = seeded(ctx.emulator);
      const controller = new AbortController();
      const applying = ctx.engine().apply(desired, { signal: controller.signal });
      while (!mutatingActions(ctx.emulator).includes("StopInstances")) await new Promise((r) => setTimeout(r, 2));
      controller.abort();
      const applied = await applying;
      expect(applied.nestedVirtualization).to.equal("enabled");
      expect(mutatingActions(ctx.emulator)).to.deep.equal(FULL_CYCLE);
      expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
    });
  });

  it("two runs in separate processes, equal and opposite targets at offsets 0–1.6 s: one stop per needed change, honest results", async function () {
    this.timeout(120_000);
    // Stop and start take 500 ms each; the offsets fall before the first stop, during it, during the start and after.
    const offsets = [0, 250, 700, 1600];
    const cases = [false, true].flatMap((opposite) =>
      offsets.map((offset) => ({ opposite, offset, ...seeded(ctx.emulator, { stoppingMs: 500, pendingMs: 500 }) })),
    );
    const { firstOutcomes, secondOutcomes } = await applyTogether(
      ctx.emulator.endpoint,
      cases.map((c) => ({ instanceId: c.instanceId, setting: "enabled", delayMs: 0 })),
      cases.map((c) => ({ instanceId: c.instanceId, setting: c.opposite ? "disabled" : "enabled", delayMs: c.offset })),
    );

    for (const [index, { instanceId, offset, opposite }] of cases.entries()) {
      const runs = [firstOutcomes[index], secondOutcomes[index]];
      const label = `${opposite ? "opposite" : "equal"} targets, offset ${offset} ms: ${JSON.stringify(runs)}`;
      const calls = ctx.emulator.mutatingCalls().filter((c) => c.instanceIds.includes(instanceId));
      const stops = calls.filter((c) => c.action === "StopInstances").length;
      const changes = calls.filter((c) => c.action === "ModifyInstanceCpuOptions" && !c.errorCode).length;
      expect(stops, label).to.equal(changes);
      expect(stops, label).to.be.at.most(opposite ? 2 : 1);
      for (const [which, run] of runs.entries()) {
        const wanted = which === 1 && opposite ? "disabled" : "enabled";
        if (run.ok) expect(run.setting, label).to.equal(wanted);
        else expect(run.message, label).to.contain("is being changed by another run").and.not.contain("did not");
      }
      const live = ctx.emulator.instance(instanceId);
      expect(live.state, label).to.equal("running");
      expect(live.tags, label).to.not.have.property(JOURNAL_TAG_KEY);
      const lastSuccess = runs.filter((r) => r.ok).sort((a, b) => b.at - a.at)[0];
      expect(lastSuccess?.setting, label).to.equal(live.nestedVirtualization);
      if (!opposite)
        expect(
          runs.every((r) => r.ok),
          label,
        ).to.equal(true);
    }
  });
});
