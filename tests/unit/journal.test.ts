import { expect } from "chai";
import { decodeJournal, encodeJournal } from "../../provider/engine/journal";

describe("the cycle journal tag", () => {
  const journal = {
    priorState: "running" as const,
    from: "disabled" as const,
    to: "enabled" as const,
    startedAt: "2026-11-27T01:02:03.000Z",
  };

  it("round-trips and fits in an EC2 tag value (256 characters)", () => {
    const value = encodeJournal(journal);
    expect(value.length).to.be.at.most(256);
    expect(decodeJournal(value)).to.deep.equal(journal);
  });

  it("reads an unreadable journal as a running instance's, so recovery starts it", () => {
    expect(decodeJournal("garbage").priorState).to.equal("running");
  });
});
