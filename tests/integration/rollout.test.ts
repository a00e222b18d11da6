import { expect } from "chai";
import { mostNotRunningAtOnce } from "../../emulator";
import { CycleFailedError, type DesiredState } from "../../provider/engine";
import { HealthGateError } from "../../provider/engine/health-gate";
import { RolloutHaltedError } from "../../provider/engine/rollout";
import { seeded, useEmulator } from "../support/emulated";
import { rejection } from "../support/rejection";

describe("rollouts and health gates against the EC2 emulator", () => {
  const ctx = useEmulator();

  function fleet(size: number, desired: Partial<DesiredState>) {
    return Array.from({ length: size }, () => seeded(ctx.emulator, {}, desired));
  }

  const stopsOf = (instanceId: string) =>
    ctx.emulator.mutatingCalls().filter((c) => c.action === "StopInstances" && c.instanceIds.includes(instanceId));

  it("never has more than maxUnavailable instances of a group out of service, and enables them all", async () => {
    const members = fleet(12, { rolloutGroup: "runners", maxUnavailable: 3 });
    const engine = ctx.engine();
    const applied = await Promise.all(members.map((m) => engine.apply(m.desired)));

    const ids = members.map((m) => m.instanceId);
    expect(mostNotRunningAtOnce(ctx.emulator.stateHistory(ids))).to.equal(3);
    expect(ids.map((id) => ctx.emulator.instance(id).nestedVirtualization)).to.deep.equal(ids.map(() => "enabled"));
    const waits = applied.map((a) => a.lastCycle?.slotWaitSeconds ?? -1);
    expect(waits.every((w) => w >= 0)).to.equal(true);
    expect(waits.filter((w) => w > 0).length).to.be.at.least(9);
  });

  it("after a refused start stops no further instance; cycles past their stop finish; the others name the failure", async () => {
    const members = fleet(12, { rolloutGroup: "runners", maxUnavailable: 3 });
    const refused = members[4].instanceId;
    ctx.emulator.faults.failNext("StartInstances", "VcpuLimitExceeded", undefined, 1, {
      instanceId: refused,
      dryRun: false,
    });
    const engine = ctx.engine();
    const outcomes = await Promise.all(
      members.map((m) =>
        engine.apply(m.desired).then(
          () => undefined,
          (e: Error) => e,
        ),
      ),
    );

    const failedStart = ctx.emulator.calls.find(
      (c) => c.action === "StartInstances" && !c.dryRun && c.errorCode !== undefined && c.instanceIds.length === 1,
    );
    expect(failedStart?.instanceIds).to.deep.equal([refused]);
    const laterStops = ctx.emulator
      .mutatingCalls()
      .filter((c) => c.action === "StopInstances" && c.seq > (failedStart?.seq ?? 0));
    expect(laterStops).to.deep.equal([]);

    const refusedError = outcomes[4];
    expect(refusedError).to.be.instanceOf(CycleFailedError);
    expect(refusedError?.message).to.contain(refused).and.contain("VcpuLimitExceeded").and.contain("started again");
    const halted = members.filter((_, i) => outcomes[i] instanceof RolloutHaltedError);
    expect(halted.length).to.be.at.least(1);
    for (const m of halted) {
      expect(outcomes[members.indexOf(m)]?.message).to.contain(refused).and.contain(m.instanceId);
      expect(stopsOf(m.instanceId)).to.deep.equal([]);
      expect(ctx.emulator.instance(m.instanceId).nestedVirtualization).to.equal("disabled");
    }
    // Whatever was stopped is running again; nothing is left down.
    expect(members.map((m) => ctx.emulator.instance(m.instanceId).state)).to.deep.equal(members.map(() => "running"));
    expect(mostNotRunningAtOnce(ctx.emulator.stateHistory(members.map((m) => m.instanceId)))).to.be.at.most(3);
  });

  it("a gated cycle ends only once both status checks are ok, and records when", async () => {
    // Checks initialize for 1.5 s after the start: long enough that a loaded machine still looks while they do.
    const { instanceId, desired } = seeded(ctx.emulator, { statusCheckMs: 1500 }, { waitForStatusChecks: true });
    const applied = await ctx.engine().apply(desired);

    const cycle = applied.lastCycle;
    expect(cycle?.healthyAt).to.be.a("string");
    expect(Date.parse(cycle?.healthyAt ?? "")).to.be.greaterThan(Date.parse(cycle?.startedAt ?? ""));
    expect(ctx.emulator.statusChecks(instanceId)).to.deep.equal({ instance: "ok", system: "ok" });
    const statusCalls = ctx.emulator.calls.filter((c) => c.action === "DescribeInstanceStatus");
    expect(statusCalls.length).to.be.at.least(2);
    const start = ctx.emulator.calls.find((c) => c.action === "StartInstances");
    expect(statusCalls.every((c) => c.seq > (start?.seq ?? Infinity))).to.equal(true);
  });

  it("an impaired check fails the gate naming instance and check, and halts the group", async () => {
    const members = fleet(4, { rolloutGroup: "hosts", maxUnavailable: 1, waitForStatusChecks: true });
    ctx.emulator.setStatusChecks(members[0].instanceId, { impairedCheck: "instance", statusCheckMs: 50 });
    const engine = ctx.engine();
    const first = await rejection(engine.apply(members[0].desired));
    expect(first).to.be.instanceOf(HealthGateError);
    expect(first.message).to.contain(members[0].instanceId).and.contain("instance status check is impaired");

    const next = await rejection(engine.apply(members[1].desired));
    expect(next).to.be.instanceOf(RolloutHaltedError);
    expect(next.message).to.contain(members[0].instanceId);
    expect(stopsOf(members[1].instanceId)).to.deep.equal([]);
  });
});
