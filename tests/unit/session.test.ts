import { expect } from "chai";
import { ConflictingApplyError, Session } from "../../provider/engine";
import { rejection } from "../support/rejection";

/** Nothing listens here: opening a session and its gateways makes no request. */
const CONNECTION = { region: "us-east-1", endpoint: "http://127.0.0.1:9" };

/** Holds the instance's lock in `session` until the returned release is called. */
function holdLock(session: Session, instanceId: string) {
  let release = () => undefined as void;
  const held = session.locks.exclusive(instanceId, "enabled", () => new Promise<void>((r) => (release = r)));
  return { release: () => release(), held };
}

describe("Session: what the engine keeps for one connection of one run", () => {
  it("two sessions share nothing: gateways, locks, slot leases, type lookups, rollout groups, run token", () => {
    const first = Session.open(CONNECTION);
    const second = Session.open(CONNECTION);
    expect(second.ec2).to.not.equal(first.ec2);
    expect(second.locks).to.not.equal(first.locks);
    expect(second.slotLeases).to.not.equal(first.slotLeases);
    expect(second.instanceTypes).to.not.equal(first.instanceTypes);
    expect(second.rolloutGroups).to.not.equal(first.rolloutGroups);
    expect(second.autoScaling()).to.not.equal(first.autoScaling());
    expect(second.ssm()).to.not.equal(first.ssm());
    expect(second.runToken).to.not.equal(first.runToken);
    // The slot tags they would write name different runs.
    expect(second.slotLeases.valueAt(0)).to.not.equal(first.slotLeases.valueAt(0));
    // A group of one run is unknown to the other: the same name there is a group of its own.
    const group = first.rolloutGroups.groupFor({ group: "ci", maxUnavailable: 2 }, "i-0000000a");
    expect(second.rolloutGroups.groupFor({ group: "ci", maxUnavailable: 1 }, "i-0000000b")).to.not.equal(group);
  });

  it("an instance locked in one session is free in another, and conflicts within its own", async () => {
    const first = Session.open(CONNECTION);
    const second = Session.open(CONNECTION);
    const hold = holdLock(first, "i-0000000a");
    // The other session runs the opposite setting at once: its lock knows nothing of the first's.
    expect(await second.locks.exclusive("i-0000000a", "disabled", async () => "ran")).to.equal("ran");
    const error = await rejection(first.locks.exclusive("i-0000000a", "disabled", async () => "ran"));
    expect(error).to.be.instanceOf(ConflictingApplyError);
    hold.release();
    await hold.held;
  });

  it("one session serves every resource of its connection: the same gateways and caches each time", () => {
    const session = Session.open(CONNECTION);
    expect(session.forConnection({ ...CONNECTION })).to.equal(session);
    expect(session.ec2).to.equal(session.ec2);
    expect(session.slotLeases).to.equal(session.slotLeases);
    expect(session.autoScaling()).to.equal(session.autoScaling());
    expect(session.ssm()).to.equal(session.ssm());
  });

  it("another connection of the run gets a session of its own, once, sharing the run token and rollout groups", () => {
    const session = Session.open(CONNECTION);
    const west = session.forConnection({ ...CONNECTION, region: "us-west-2" });
    expect(west).to.not.equal(session);
    expect(west.connection.region).to.equal("us-west-2");
    expect(session.forConnection({ ...CONNECTION, region: "us-west-2" })).to.equal(west);
    expect(west.forConnection(CONNECTION)).to.equal(session);
    expect(west.ec2).to.not.equal(session.ec2);
    expect(west.locks).to.not.equal(session.locks);
    expect(west.instanceTypes).to.not.equal(session.instanceTypes);
    expect(west.runToken).to.equal(session.runToken);
    expect(west.rolloutGroups).to.equal(session.rolloutGroups);
  });

  it("uses the gateways it is given instead of making its own", () => {
    const given = Session.open(CONNECTION);
    const session = Session.open(CONNECTION, {
      ec2: given.ec2,
      autoScaling: given.autoScaling(),
      ssm: given.ssm(),
    });
    expect(session.ec2).to.equal(given.ec2);
    expect(session.autoScaling()).to.equal(given.autoScaling());
    expect(session.ssm()).to.equal(given.ssm());
    expect(session.locks).to.not.equal(given.locks);
  });
});
