import { expect } from "chai";
import type { SeedGroup } from "../../emulator";
import { BlockedError, JOURNAL_TAG_KEY, StandbyError } from "../../provider/engine";
import { applyProcess } from "../support/apply-processes";
import { FAST_TRANSITIONS, mutatingActions, seeded, useEmulator } from "../support/emulated";
import { rejection } from "../support/rejection";

const GROUP = "ci-runners";
const STANDBY_CYCLE = [
  "CreateTags",
  "EnterStandby",
  "StopInstances",
  "ModifyInstanceCpuOptions",
  "StartInstances",
  "ExitStandby",
  "DeleteTags",
];
const LT_WARNING = "launch-template-without-nested-virtualization";

describe("Auto Scaling members against the emulator (real EC2 and Auto Scaling SDKs over HTTP)", () => {
  const ctx = useEmulator(FAST_TRANSITIONS);

  /** A running member of GROUP (desired 2, min 0) whose launch template sets NestedVirtualization as given. */
  function member(templateSetting: "enabled" | "unset" = "enabled", group: Partial<SeedGroup> = {}) {
    const { instanceId, desired } = seeded(ctx.emulator, {}, { autoScaling: "standby" });
    const other = seeded(ctx.emulator).instanceId;
    const launchTemplateId = ctx.emulator.addLaunchTemplate("runners", [
      templateSetting === "enabled" ? { nestedVirtualization: "enabled" } : {},
    ]);
    ctx.emulator.addAutoScalingGroup({
      name: GROUP,
      instanceIds: [instanceId, other],
      minSize: 0,
      launchTemplate: { launchTemplateId },
      ...group,
    });
    return { instanceId, desired, launchTemplateId };
  }

  function lifecycleOf(instanceId: string): string | undefined {
    return ctx.emulator.autoScalingGroup(GROUP).members.find((m) => m.instanceId === instanceId)?.lifecycleState;
  }

  describe('autoScaling = "standby"', () => {
    it("puts the member in Standby around its cycle and back InService; the group launches no replacement", async () => {
      const { instanceId, desired } = member();
      const applied = await ctx.engine().apply(desired);

      expect(mutatingActions(ctx.emulator)).to.deep.equal(STANDBY_CYCLE);
      const enter = ctx.emulator.calls.find((c) => c.action === "EnterStandby");
      expect(enter?.params).to.include({ AutoScalingGroupName: GROUP, ShouldDecrementDesiredCapacity: "true" });
      const group = ctx.emulator.autoScalingGroup(GROUP);
      expect(group.replacementsLaunched).to.deep.equal([]);
      expect(group.desiredCapacity).to.equal(2);
      expect(lifecycleOf(instanceId)).to.equal("InService");
      expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
      expect(ctx.emulator.instance(instanceId).tags).to.not.have.property(JOURNAL_TAG_KEY);
      expect(applied.warnings.join("\n")).to.contain("puts it in Standby");
    });

    it("records the standby in the journal while the instance is down", async () => {
      const { instanceId, desired } = member();
      const journals: string[] = [];
      await ctx.engine().apply(desired);
      for (const call of ctx.emulator.calls.filter((c) => c.action === "CreateTags" && !c.dryRun)) {
        journals.push(call.params["Tag.1.Value"] ?? "");
      }
      expect(journals[0]).to.contain(`"asg":"${GROUP}"`);
      expect(ctx.emulator.instance(instanceId).tags).to.not.have.property(JOURNAL_TAG_KEY);
    });

    it("returns the member to service when the cycle fails after EnterStandby", async () => {
      const { instanceId, desired } = member();
      ctx.emulator.faults.failNext(
        "ModifyInstanceCpuOptions",
        "InvalidParameterCombination",
        "not for this instance",
        1,
        {
          dryRun: false,
        },
      );
      const error = await rejection(ctx.engine().apply(desired));

      expect(error.message)
        .to.contain("ModifyInstanceCpuOptions failed")
        .and.contain("returned to service (InService)");
      expect(mutatingActions(ctx.emulator).filter((a) => a !== "CreateTags" && a !== "DeleteTags")).to.deep.equal([
        "EnterStandby",
        "StopInstances",
        "ModifyInstanceCpuOptions",
        "StartInstances",
        "ExitStandby",
      ]);
      expect(lifecycleOf(instanceId)).to.equal("InService");
      expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "disabled" });
      expect(ctx.emulator.autoScalingGroup(GROUP).replacementsLaunched).to.deep.equal([]);
    });

    it("a refused EnterStandby stops nothing and leaves no journal", async () => {
      const { instanceId, desired } = member();
      ctx.emulator.permissions.deny("EnterStandby");
      const error = await rejection(ctx.engine().apply(desired));

      expect(error).to.be.instanceOf(StandbyError);
      expect(error.message).to.contain("autoscaling:EnterStandby").and.contain("was not stopped");
      expect(mutatingActions(ctx.emulator)).to.not.include("StopInstances");
      expect(ctx.emulator.instance(instanceId).state).to.equal("running");
      expect(ctx.emulator.instance(instanceId).tags).to.not.have.property(JOURNAL_TAG_KEY);
      expect(lifecycleOf(instanceId)).to.equal("InService");
    });

    it("is a blocker at plan when the group is at its minimum size, before anything is touched", async () => {
      const { instanceId, desired } = member("enabled", { minSize: 2 });
      const { plan } = await ctx.engine().inspect(desired, { checkPermissions: true });
      expect(plan.blockers.map((b) => b.code)).to.deep.equal(["auto-scaling-minimum-size"]);
      expect(plan.blockers[0]?.message).to.contain(GROUP).and.contain("MinSize 2");

      const error = await rejection(ctx.engine().apply(desired));
      expect(error).to.be.instanceOf(BlockedError);
      expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
      expect(ctx.emulator.instance(instanceId).state).to.equal("running");
    });

    it("a refused DescribeAutoScalingInstances is a blocker at plan: Auto Scaling has no DryRun, the read is the check", async () => {
      const { desired } = member();
      ctx.emulator.permissions.deny("DescribeAutoScalingInstances");
      const { plan } = await ctx.engine().inspect(desired, { checkPermissions: true });
      expect(plan.blockers.map((b) => b.code)).to.deep.equal(["missing-permission"]);
      expect(plan.blockers[0]?.message).to.contain("autoscaling:DescribeAutoScalingInstances");
      expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
    });

    it("waits for a launching lifecycle hook (Pending:Wait) on ExitStandby within timeouts.start", async () => {
      const { instanceId, desired } = member("enabled", {
        lifecycleHooks: [{ name: "warm-cache", heartbeatSeconds: 1 }],
      });
      const applied = await ctx.engine().apply(desired);

      expect(lifecycleOf(instanceId)).to.equal("InService");
      expect(applied.nestedVirtualization).to.equal("enabled");
      const exit = ctx.emulator.calls.find((c) => c.action === "ExitStandby");
      const lastLook = ctx.emulator.calls.filter((c) => c.action === "DescribeAutoScalingInstances").at(-1);
      expect((lastLook?.at ?? 0) - (exit?.at ?? 0)).to.be.at.least(1000);
    });

    it("names the lifecycle hook that keeps the member out of service past timeouts.start", async () => {
      const { instanceId, desired } = member("enabled", {
        lifecycleHooks: [{ name: "warm-cache", heartbeatSeconds: 3600 }],
      });
      const error = await rejection(
        ctx.engine().apply({ ...desired, timeouts: { ...desired.timeouts, startSeconds: 1 } }),
      );

      expect(error.message, error.message)
        .to.contain(instanceId)
        .and.contain('"Pending:Wait"')
        .and.contain('lifecycle hook "warm-cache"')
        .and.contain("complete-lifecycle-action");
      expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
      expect(lifecycleOf(instanceId)).to.equal("Pending:Wait");
    });

    it("killed after the stop, the next run ends with the instance InService and enabled", async function () {
      this.timeout(60_000);
      const { instanceId, desired } = member();
      const killed = applyProcess(ctx.emulator.endpoint, [
        { instanceId, setting: "enabled", delayMs: 0, autoScaling: "standby" },
      ]);
      await killed.ready;
      killed.begin(Date.now());
      while (ctx.emulator.instance(instanceId).state === "running") await new Promise((r) => setTimeout(r, 5));
      killed.kill();
      await killed.outcomes;
      expect(lifecycleOf(instanceId)).to.equal("Standby");

      const applied = await ctx.engine().apply(desired);

      expect(applied.nestedVirtualization).to.equal("enabled");
      expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
      expect(ctx.emulator.instance(instanceId).tags).to.not.have.property(JOURNAL_TAG_KEY);
      expect(lifecycleOf(instanceId)).to.equal("InService");
      expect(mutatingActions(ctx.emulator).filter((a) => a.endsWith("Standby"))).to.deep.equal([
        "EnterStandby",
        "ExitStandby",
      ]);
      expect(ctx.emulator.autoScalingGroup(GROUP).replacementsLaunched).to.deep.equal([]);
    });

    it("with stop protection lifted, the status checks and the in-guest check: all inside the standby, in order", async () => {
      const { instanceId, desired } = seeded(
        ctx.emulator,
        { disableApiStop: true },
        { autoScaling: "standby", stopProtection: "lift", waitForStatusChecks: true, verifyInGuest: true },
      );
      const other = seeded(ctx.emulator).instanceId;
      const launchTemplateId = ctx.emulator.addLaunchTemplate("runners", [{ nestedVirtualization: "enabled" }]);
      ctx.emulator.addAutoScalingGroup({
        name: GROUP,
        instanceIds: [instanceId, other],
        minSize: 0,
        launchTemplate: { launchTemplateId },
      });
      const journals: string[] = [];
      const applied = await ctx.engine().apply(desired);
      for (const call of ctx.emulator.calls.filter((c) => c.action === "CreateTags" && !c.dryRun)) {
        journals.push(call.params["Tag.1.Value"] ?? "");
      }

      expect(mutatingActions(ctx.emulator)).to.deep.equal([
        "CreateTags",
        "EnterStandby",
        "ModifyInstanceAttribute",
        "StopInstances",
        "ModifyInstanceCpuOptions",
        "StartInstances",
        "ModifyInstanceAttribute",
        "SendCommand",
        "ExitStandby",
        "DeleteTags",
      ]);
      expect(JSON.parse(journals[0] ?? "{}")).to.include({ v: 3, asg: GROUP, lift: true });
      expect(lifecycleOf(instanceId)).to.equal("InService");
      expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
      expect(ctx.emulator.instance(instanceId).tags).to.not.have.property(JOURNAL_TAG_KEY);
      expect(applied.lastCycle?.guestVerifiedAt).to.be.a("string");
      expect(ctx.emulator.autoScalingGroup(GROUP).replacementsLaunched).to.deep.equal([]);
    });
  });

  it('without standby ("allow"), the group replaces the member it finds stopped', async () => {
    const { instanceId, desired } = member();
    await rejection(ctx.engine().apply({ ...desired, autoScaling: "allow" }));

    const group = ctx.emulator.autoScalingGroup(GROUP);
    expect(group.replacementsLaunched).to.have.length(1);
    expect(group.members.map((m) => m.instanceId)).to.not.include(instanceId);
    expect(mutatingActions(ctx.emulator)).to.not.include("EnterStandby");
  });

  describe("the group's launch template, at plan", () => {
    it("warns when the launch template version does not set NestedVirtualization=enabled", async () => {
      const { desired, launchTemplateId } = member("unset");
      const { plan } = await ctx.engine().inspect(desired, { checkPermissions: true });

      const warning = plan.warnings.find((w) => w.code === LT_WARNING);
      expect(warning?.message)
        .to.contain(`Instances Auto Scaling group "${GROUP}" launches later will not have nested virtualization`)
        .and.contain(`launch template ${launchTemplateId}`)
        .and.contain("cpu_options");
      expect(mutatingActions(ctx.emulator)).to.deep.equal([]);
      expect(ctx.emulator.calls.map((c) => c.action)).to.include("DescribeLaunchTemplateVersions");
    });

    it("gives no warning when the launch template sets it", async () => {
      const { desired } = member("enabled");
      const { plan } = await ctx.engine().inspect(desired, { checkPermissions: true });
      expect(plan.warnings.map((w) => w.code)).to.not.include(LT_WARNING);
    });

    it("reads the version the group names, and the template of a mixed instances policy", async () => {
      const { instanceId, desired } = seeded(ctx.emulator, {}, { autoScaling: "standby" });
      const launchTemplateId = ctx.emulator.addLaunchTemplate("mixed", [{ nestedVirtualization: "enabled" }]);
      ctx.emulator.addLaunchTemplateVersion(launchTemplateId, {});
      ctx.emulator.addAutoScalingGroup({
        name: GROUP,
        instanceIds: [instanceId],
        launchTemplate: { launchTemplateId, version: "$Latest", mixedInstancesPolicy: true },
      });
      const { plan } = await ctx.engine().inspect(desired, { checkPermissions: true });
      expect(plan.warnings.find((w) => w.code === LT_WARNING)?.message).to.contain("version 2 ($Latest)");
    });

    it("warns also when the instance already has the setting", async () => {
      const { instanceId, desired } = member("unset");
      ctx.emulator.setNestedVirtualization(instanceId, "enabled");
      const { plan } = await ctx.engine().inspect(desired, { checkPermissions: true });
      expect(plan.steps).to.deep.equal([]);
      expect(plan.warnings.map((w) => w.code)).to.deep.equal([LT_WARNING]);
    });
  });
});
