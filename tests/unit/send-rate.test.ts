import { expect } from "chai";
import { SendRate } from "../../provider/engine/retry";

/** Feeds answers one second apart (the rate changes at most once a second). */
function answers(rate: SendRate, pattern: readonly boolean[], from = 10_000): number {
  let now = from;
  for (const throttled of pattern) {
    now += 1000;
    rate.record(throttled, now);
  }
  return now;
}

describe("an EC2 operation's send rate", () => {
  it("stays unlimited under scattered throttles (one answer in five refused)", () => {
    const rate = new SendRate(5);
    answers(
      rate,
      Array.from({ length: 100 }, (_, i) => i % 5 === 0),
    );
    expect(rate.perSecond).to.equal(Number.POSITIVE_INFINITY);
    expect(rate.nextSendAt()).to.equal(0);
  });

  it("slows down under dense throttling, never below the documented refill rate", () => {
    const rate = new SendRate(5);
    answers(rate, Array(40).fill(true));
    expect(rate.perSecond).to.equal(5);
  });

  it("speeds up again once throttles are rare", () => {
    const rate = new SendRate(5);
    const now = answers(rate, Array(40).fill(true));
    answers(rate, Array(40).fill(false), now);
    expect(rate.perSecond).to.be.greaterThan(5);
  });
});
