import { expect } from "chai";
import { decodeFailedCycle, encodeFailedCycle } from "../../provider/engine/failed-cycle";
import { decodeJournal, encodeJournal, isLeaseHeld } from "../../provider/engine/journal";

describe("the cycle journal tag", () => {
  const journal = {
    priorState: "running" as const,
    from: "disabled" as const,
    to: "enabled" as const,
    startedAt: "2026-11-27T01:02:03.000Z",
    runToken: "0b6e4a3c-8a51-4f7e-9a55-2b6c3f1d9e70",
    leaseUntil: "2026-11-27T01:23:03.000Z",
    stallMs: 1300,
  };

  it("round-trips and fits in an EC2 tag value (256 characters)", () => {
    const value = encodeJournal(journal);
    expect(value.length).to.be.at.most(256);
    expect(decodeJournal(value)).to.deep.equal({ journal });
  });

  it("reads a journal written before leases as an interrupted cycle", () => {
    const decoded = decodeJournal(
      '{"v":1,"prior":"stopped","from":"enabled","to":"disabled","at":"2026-11-27T01:02:03.000Z"}',
    );
    expect(decoded).to.deep.equal({
      journal: { priorState: "stopped", from: "enabled", to: "disabled", startedAt: "2026-11-27T01:02:03.000Z" },
    });
    if ("journal" in decoded)
      expect(isLeaseHeld(decoded.journal, Date.parse("2026-11-27T01:02:04.000Z"))).to.equal(false);
  });

  it("never guesses: garbage, an unknown version and a newer version are problems, not journals", () => {
    expect(decodeJournal("garbage")).to.deep.equal({ problem: "it is not JSON" });
    expect(decodeJournal('{"v":"x","prior":"running","from":"disabled","to":"enabled"}')).to.have.property("problem");
    expect(decodeJournal('{"v":4}')).to.deep.equal({
      problem: "it was written by a newer nestedvirt (journal version 4; this one reads up to 3)",
    });
  });

  it("records a standby as version 3, so that a release that cannot return the instance to service refuses it", () => {
    const journal = {
      priorState: "running" as const,
      from: "disabled" as const,
      to: "enabled" as const,
      startedAt: "2026-12-06T00:00:00.000Z",
      standbyGroup: "ci-runners",
    };
    const tag = encodeJournal(journal);
    expect(JSON.parse(tag)).to.include({ v: 3, asg: "ci-runners" });
    expect(decodeJournal(tag)).to.deep.equal({ journal });
    const { standbyGroup: _, ...plain } = journal;
    expect(JSON.parse(encodeJournal(plain)).v).to.equal(2);
  });

  it("records a lift of stop protection as version 3, and only then", () => {
    const lifted = { ...journal, stopProtectionLifted: true };
    expect(JSON.parse(encodeJournal(lifted))).to.include({ v: 3, lift: true });
    expect(decodeJournal(encodeJournal(lifted))).to.deep.equal({ journal: lifted });
    expect(JSON.parse(encodeJournal(journal)))
      .to.include({ v: 2 })
      .and.not.have.property("lift");
  });

  it("records a standby and a lift together in one version 3 journal, and reads both back", () => {
    const both = { ...journal, standbyGroup: "ci-runners", stopProtectionLifted: true };
    expect(JSON.parse(encodeJournal(both))).to.include({ v: 3, asg: "ci-runners", lift: true });
    expect(decodeJournal(encodeJournal(both))).to.deep.equal({ journal: both });
  });

  it("holds its lease until leaseUntil, and not after", () => {
    expect(isLeaseHeld(journal, Date.parse("2026-11-27T01:23:02.000Z"))).to.equal(true);
    expect(isLeaseHeld(journal, Date.parse("2026-11-27T01:23:03.000Z"))).to.equal(false);
  });
});

describe("the failed-cycle tag", () => {
  it("round-trips, shortening a long error so the value fits in an EC2 tag (256 characters)", () => {
    const failure = { to: "enabled" as const, at: "2026-12-01T10:00:00.000Z", call: "ModifyInstanceCpuOptions" };
    const short = { ...failure, error: "InternalError (HTTP 500): An internal error has occurred" };
    expect(decodeFailedCycle(encodeFailedCycle(short))).to.deep.equal(short);
    const long = encodeFailedCycle({ ...failure, error: `InternalError (HTTP 500): ${'é"x'.repeat(200)}` });
    expect(long.length).to.be.at.most(256);
    expect(decodeFailedCycle(long)?.error).to.match(/^InternalError \(HTTP 500\): .*…$/);
  });

  it("an unreadable value holds nothing off", () => {
    expect(decodeFailedCycle("not json")).to.equal(undefined);
    expect(decodeFailedCycle('{"v":2,"to":"enabled","at":"2026-12-01T10:00:00.000Z"}')).to.equal(undefined);
  });
});
