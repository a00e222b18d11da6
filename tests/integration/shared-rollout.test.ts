import { expect } from "chai";
import { mostNotRunningAtOnce } from "../../emulator";
import { GROUP_TAG_KEY, JOURNAL_TAG_KEY, SLOT_TAG_KEY } from "../../provider/engine";
import { applyProcess, applyTogether } from "../support/apply-processes";
import { seeded, useEmulator } from "../support/emulated";

const GROUP = "runners";
const MAX_UNAVAILABLE = 3;

describe("a rollout group shared by two processes (real SDK over HTTP)", () => {
  const ctx = useEmulator({ stoppingMs: 300, pendingMs: 300 });

  for (const offset of [0, 150, 600, 1500]) {
    it(`12 instances, maxUnavailable ${MAX_UNAVAILABLE}, the second process ${offset} ms later: never more than ${MAX_UNAVAILABLE} down, all enabled`, async function () {
      this.timeout(120_000);
      const ids = Array.from({ length: 12 }, () => seeded(ctx.emulator).instanceId);
      const jobs = (share: string[], delayMs: number) =>
        share.map((instanceId) => ({
          instanceId,
          setting: "enabled" as const,
          delayMs,
          rolloutGroup: GROUP,
          maxUnavailable: MAX_UNAVAILABLE,
        }));
      // Interleaved shares, so the two runs' claims compete for the lowest instance IDs.
      const { firstOutcomes, secondOutcomes } = await applyTogether(
        ctx.emulator.endpoint,
        jobs(
          ids.filter((_, i) => i % 2 === 0),
          0,
        ),
        jobs(
          ids.filter((_, i) => i % 2 === 1),
          offset,
        ),
      );
      const outcomes = [...firstOutcomes, ...secondOutcomes];
      const label = JSON.stringify(outcomes.filter((o) => !o.ok));
      // What the users saw: every apply succeeded and reports the live setting.
      expect(
        outcomes.every((o) => o.ok && o.setting === "enabled"),
        label,
      ).to.equal(true);
      // What EC2 saw: at most 3 of the group down at any moment, one stop each, no tag left behind.
      expect(mostNotRunningAtOnce(ctx.emulator.stateHistory(ids))).to.be.at.most(MAX_UNAVAILABLE);
      for (const id of ids) {
        const instance = ctx.emulator.instance(id);
        expect(instance).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
        for (const key of [JOURNAL_TAG_KEY, GROUP_TAG_KEY, SLOT_TAG_KEY])
          expect(instance.tags).to.not.have.property(key);
        const stops = ctx.emulator
          .mutatingCalls()
          .filter((c) => c.action === "StopInstances" && c.instanceIds.includes(id));
        expect(stops, id).to.have.length(1);
      }
      // The two runs had to wait for each other's slots.
      expect(outcomes.some((o) => (o.slotWaitSeconds ?? 0) > 0)).to.equal(true);
    });
  }

  it("a run killed while it holds slots delays the other for at most the slot lease, then the other proceeds", async function () {
    this.timeout(120_000);
    const held = Array.from({ length: 2 }, () => seeded(ctx.emulator).instanceId);
    const waiting = seeded(ctx.emulator).instanceId;
    // The killed run holds both slots of a group of 2: its instances are stopped and stay down.
    const killed = applyProcess(
      ctx.emulator.endpoint,
      held.map((instanceId) => ({
        instanceId,
        setting: "enabled",
        delayMs: 0,
        rolloutGroup: GROUP,
        maxUnavailable: 2,
      })),
      { NESTEDVIRT_SLOT_LEASE_MS: "4000" },
    );
    await killed.ready;
    killed.begin(Date.now());
    while (!held.every((id) => ctx.emulator.instance(id).state !== "running"))
      await new Promise((r) => setTimeout(r, 5));
    killed.kill();
    const [outcome] = await (async () => {
      const other = applyProcess(ctx.emulator.endpoint, [
        { instanceId: waiting, setting: "enabled", delayMs: 0, rolloutGroup: GROUP, maxUnavailable: 2 },
      ]);
      await other.ready;
      other.begin(Date.now());
      return await other.outcomes;
    })();
    expect(outcome?.ok, JSON.stringify(outcome)).to.equal(true);
    // It waited for the dead run's leases (4 s) to run out, not for its whole stop timeout.
    expect(outcome?.slotWaitSeconds).to.be.within(1, 10);
    expect(ctx.emulator.instance(waiting)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
  });
});
