import type { Instance } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import {
  admits,
  claimOrder,
  decodeSlotLease,
  encodeSlotLease,
  type GroupMember,
  groupMemberOf,
  hasRoom,
  holdsSlot,
  SLOT_TAG_KEY,
} from "../../provider/engine/group-slots";
import { encodeJournal, JOURNAL_TAG_KEY } from "../../provider/engine/journal";

const NOW = Date.parse("2026-12-02T12:00:00Z");
const live = { runToken: "run-b", until: new Date(NOW + 30_000).toISOString() };
const expired = { runToken: "run-b", until: new Date(NOW - 1).toISOString() };
const member = (instanceId: string, state: string, slot?: typeof live): GroupMember => ({
  instanceId,
  state,
  ...(slot ? { slot } : {}),
});

describe("rollout-group slots shared across runs (pure rules)", () => {
  it("a member holds a slot while its lease is live, or while it is stopping or starting", () => {
    expect(holdsSlot(member("i-1", "stopped", live), NOW)).to.equal(true);
    expect(holdsSlot(member("i-1", "running", live), NOW)).to.equal(true);
    expect(holdsSlot(member("i-1", "stopping"), NOW)).to.equal(true);
    expect(holdsSlot(member("i-1", "pending", expired), NOW)).to.equal(true);
  });

  it("a stale slot (lease run out, instance running or stopped) counts for nobody", () => {
    expect(holdsSlot(member("i-1", "running", expired), NOW)).to.equal(false);
    expect(holdsSlot(member("i-1", "stopped", expired), NOW)).to.equal(false);
    expect(holdsSlot(member("i-1", "running"), NOW)).to.equal(false);
  });

  it("admits a claim while the members down and the lower claims leave room, itself included", () => {
    const members = [member("i-a", "stopped", live), member("i-b", "running", live), member("i-c", "running", live)];
    // maxUnavailable 3: i-a is down, i-b claimed before i-c; i-c is the third.
    expect(admits(members, "i-c", 3, NOW).admitted).to.equal(true);
    expect(admits(members, "i-c", 2, NOW)).to.deep.equal({ admitted: false, holders: ["i-a", "i-b"] });
    expect(admits(members, "i-b", 2, NOW).admitted).to.equal(true);
  });

  it("claims written together agree on who goes: the lowest instance IDs, never all backing off", () => {
    const claims = ["i-1", "i-2", "i-3", "i-4", "i-5", "i-6"].map((id) => member(id, "running", live));
    const admitted = claims.filter((c) => admits(claims, c.instanceId, 3, NOW).admitted).map((c) => c.instanceId);
    expect(admitted).to.deep.equal(["i-1", "i-2", "i-3"]);
  });

  it("a member already down takes its slot ahead of any claim, whatever its ID", () => {
    const members = [member("i-9", "stopping"), member("i-1", "running", live), member("i-2", "running", live)];
    expect(admits(members, "i-1", 2, NOW).admitted).to.equal(true);
    expect(admits(members, "i-2", 2, NOW).admitted).to.equal(false);
  });

  it("has room for a waiter when fewer than maxUnavailable others hold a slot", () => {
    const members = [member("i-a", "stopped", live), member("i-b", "running", expired), member("i-w", "running", live)];
    expect(hasRoom(members, 2, NOW, "i-w")).to.equal(true);
    expect(hasRoom(members, 1, NOW, "i-w")).to.equal(false);
  });

  it("when two runs claim at once, the run whose cycles began first gets the room whole", () => {
    const second = "2026-12-02T11:59:58.000Z";
    const claim = (instanceId: string, runToken: string, cycleStartedAt: string): GroupMember => ({
      instanceId,
      state: "running",
      slot: { runToken, until: live.until },
      cycleStartedAt,
    });
    // IDs interleave between the runs, as in a fleet split over two stacks.
    const claims = [
      claim("i-1", "run-b", second),
      claim("i-2", "run-a", second),
      claim("i-3", "run-b", second),
      claim("i-4", "run-a", second),
      claim("i-5", "run-c", "2026-12-02T11:59:57.000Z"),
    ];
    const admitted = claims.filter((c) => admits(claims, c.instanceId, 3, NOW).admitted).map((c) => c.instanceId);
    // run-c's cycle began a second earlier; then run-a (before run-b) takes the rest, whatever the IDs.
    expect(admitted).to.deep.equal(["i-2", "i-4", "i-5"]);
    expect(admits(claims, "i-1", 3, NOW).holders).to.have.members(["i-2", "i-3", "i-4", "i-5"]);
  });

  it("ranks a holder without a journal (waiting for its status checks) before any claim", () => {
    const gated = member("i-9", "running", live);
    const claim: GroupMember = { ...member("i-1", "running", live), cycleStartedAt: "2026-12-02T11:00:00.000Z" };
    expect(claimOrder(gated, claim)).to.equal(-1);
    expect(admits([gated, claim], "i-1", 1, NOW).admitted).to.equal(false);
    expect(admits([gated, claim], "i-1", 2, NOW).admitted).to.equal(true);
  });

  it("a claim the read does not show yet counts every claim it shows as ahead of it", () => {
    const shown = [member("i-8", "running", live), member("i-9", "running", live)];
    expect(admits(shown, "i-1", 2, NOW)).to.deep.equal({ admitted: false, holders: ["i-8", "i-9"] });
    expect(admits(shown, "i-1", 3, NOW).admitted).to.equal(true);
  });

  it("reads the claim's rank from the instance's journal and slot tags", () => {
    const journal = encodeJournal({
      priorState: "running",
      from: "disabled",
      to: "enabled",
      startedAt: "2026-12-02T11:59:58.000Z",
      runToken: "run-a",
    });
    const instance: Instance = {
      InstanceId: "i-7",
      State: { Name: "running" },
      Tags: [
        { Key: JOURNAL_TAG_KEY, Value: journal },
        { Key: SLOT_TAG_KEY, Value: encodeSlotLease(live) },
      ],
    };
    expect(groupMemberOf(instance)).to.deep.equal({
      instanceId: "i-7",
      state: "running",
      slot: live,
      cycleStartedAt: "2026-12-02T11:59:58.000Z",
    });
    expect(groupMemberOf({ InstanceId: "i-8", State: { Name: "stopped" }, Tags: [] })).to.deep.equal({
      instanceId: "i-8",
      state: "stopped",
    });
  });

  it("reads back the slot lease it writes, and nothing from a value it cannot read", () => {
    expect(decodeSlotLease(encodeSlotLease(live))).to.deep.equal(live);
    expect(decodeSlotLease("not json")).to.equal(undefined);
    expect(decodeSlotLease('{"run":1}')).to.equal(undefined);
    expect(decodeSlotLease(undefined)).to.equal(undefined);
  });
});
