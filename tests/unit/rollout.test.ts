import { expect } from "chai";
import {
  RolloutGroup,
  RolloutGroups,
  RolloutHaltedError,
  type RolloutSlot,
  rolloutGroupFor,
} from "../../provider/engine/rollout";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("rollout groups", () => {
  it("grants at most maxUnavailable slots and hands a released one to the longest waiter", async () => {
    const group = new RolloutGroup("ci", 2);
    const a = await group.acquire("i-0000000a");
    await group.acquire("i-0000000b");
    const granted: string[] = [];
    const grantedTo = (name: string) => (slot: RolloutSlot) => {
      granted.push(name);
      return slot;
    };
    const c = group.acquire("i-0000000c").then(grantedTo("c"));
    const d = group.acquire("i-0000000d").then(grantedTo("d"));
    await tick();
    expect([group.outOfService, granted]).to.deep.equal([2, []]);
    a.release();
    a.release(); // idempotent: one release frees one slot
    await tick();
    expect([group.outOfService, granted]).to.deep.equal([2, ["c"]]);
    (await c).release();
    expect((await d).waitedSeconds).to.be.at.least(0);
    expect(granted).to.deep.equal(["c", "d"]);
  });

  it("after a failure refuses waiting and later cycles at once, naming the failed instance", async () => {
    const group = new RolloutGroup("ci", 1);
    const held = await group.acquire("i-0000000a");
    const waiting = group.acquire("i-0000000b");
    group.halt("i-0000000a", "StartInstances failed: InsufficientInstanceCapacity");
    for (const attempt of [waiting, group.acquire("i-0000000c")]) {
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(RolloutHaltedError);
      expect((error as Error).message)
        .to.contain("i-0000000a")
        .and.contain("InsufficientInstanceCapacity")
        .and.contain('rollout group "ci"');
    }
    held.release();
    expect(group.outOfService).to.equal(0);
  });

  it("stops waiting when the caller aborts", async () => {
    const group = new RolloutGroup("ci", 1);
    await group.acquire("i-0000000a");
    const controller = new AbortController();
    const waiting = group.acquire("i-0000000b", controller.signal);
    controller.abort(new Error("cancelled"));
    const error = await waiting.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).to.equal("cancelled");
  });

  it("shares one group per name in the run and refuses a member with another maxUnavailable", () => {
    const groups = new RolloutGroups();
    const group = rolloutGroupFor({ group: "ci", maxUnavailable: 3, groups }, "i-0000000a");
    expect(rolloutGroupFor({ group: "ci", maxUnavailable: 3, groups }, "i-0000000b")).to.equal(group);
    expect(() => rolloutGroupFor({ group: "ci", maxUnavailable: 2, groups }, "i-0000000c")).to.throw(
      /i-0000000c declares maxUnavailable=2 for rollout group "ci", whose other members declare 3/,
    );
  });

  it("keeps the groups of two runs apart: the same name is another group with its own maxUnavailable", () => {
    const first = new RolloutGroups();
    const second = new RolloutGroups();
    const group = first.groupFor({ group: "ci", maxUnavailable: 3 }, "i-0000000a");
    const other = second.groupFor({ group: "ci", maxUnavailable: 1 }, "i-0000000b");
    expect(other).to.not.equal(group);
    expect(other.maxUnavailable).to.equal(1);
    expect(first.groupFor({ group: "ci", maxUnavailable: 3 }, "i-0000000c")).to.equal(group);
  });
});
