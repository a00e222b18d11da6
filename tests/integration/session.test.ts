import { expect } from "chai";
import { createEngine, decodeJournal, JOURNAL_TAG_KEY, Session } from "../../provider/engine";
import { FAST_TRANSITIONS, mutatingActions, seeded, useEmulator } from "../support/emulated";

/**
 * Sessions as EC2 sees them (real SDK over HTTP): the engines of one session are one client of
 * EC2, those of two sessions two clients that know nothing of each other.
 */
describe("sessions against the EC2 emulator", () => {
  const ctx = useEmulator(FAST_TRANSITIONS);

  const engineOn = (session: Session) => createEngine({ session, pollIntervalMs: 20 });
  const connection = () => ({ endpoint: ctx.emulator.endpoint, region: "us-east-1" });

  it("every resource of a session shares one type lookup and one batched read, engine after engine", async () => {
    const session = Session.open(connection());
    const ids = [seeded(ctx.emulator).instanceId, seeded(ctx.emulator).instanceId];
    await engineOn(session).read(ids[0]);
    await engineOn(session).read(ids[1]);
    expect(ctx.emulator.callCounts().DescribeInstanceTypes).to.equal(1);
    ctx.emulator.resetCalls();
    const states = await Promise.all(ids.map((id) => engineOn(session).read(id)));
    expect(states.map((s) => s?.instanceState)).to.deep.equal(["running", "running"]);
    expect(ctx.emulator.calls.filter((c) => c.action === "DescribeInstances").map((c) => c.instanceIds)).to.deep.equal([
      ids,
    ]);
  });

  it("two sessions share no cache: each looks the instance type up itself", async () => {
    const { instanceId } = seeded(ctx.emulator);
    await engineOn(Session.open(connection())).read(instanceId);
    await engineOn(Session.open(connection())).read(instanceId);
    expect(ctx.emulator.callCounts().DescribeInstanceTypes).to.equal(2);
  });

  it("the applies of one session are one run: a fleet's journals go out in one CreateTags with one run token", async () => {
    const session = Session.open(connection());
    const fleet = Array.from({ length: 4 }, () => seeded(ctx.emulator));
    // One engine per resource, as the front ends make them.
    await Promise.all(fleet.map(({ desired }) => engineOn(session).apply(desired)));
    const writes = ctx.emulator.calls.filter((c) => c.action === "CreateTags" && !c.dryRun);
    expect(writes.map((c) => c.instanceIds.length)).to.deep.equal([4]);
    const journals = Object.values(writes[0]?.params ?? {})
      .map(decodeJournal)
      .flatMap((decoded) => ("journal" in decoded ? [decoded.journal] : []));
    expect(journals.map((j) => j.runToken)).to.deep.equal([session.runToken]);
    for (const { instanceId } of fleet)
      expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
  });

  it("a session of another run waits for this run's journal instead of cycling the instance too", async () => {
    const { instanceId, desired } = seeded(ctx.emulator);
    const first = engineOn(Session.open(connection())).apply(desired);
    // The second run starts once the first run's journal is on the instance.
    while (ctx.emulator.instance(instanceId).tags[JOURNAL_TAG_KEY] === undefined)
      await new Promise((r) => setTimeout(r, 5));
    const second = engineOn(Session.open(connection())).apply(desired);
    const results = await Promise.all([first, second]);
    expect(results.map((r) => r.nestedVirtualization)).to.deep.equal(["enabled", "enabled"]);
    expect(mutatingActions(ctx.emulator).filter((a) => a === "StopInstances")).to.have.length(1);
    expect(ctx.emulator.instance(instanceId)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
  });
});
