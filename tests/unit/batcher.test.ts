import { expect } from "chai";
import { Batcher, chunksOf } from "../../provider/engine/batcher";
import { rejection } from "../support/rejection";

/** A loader that records each call's keys and answers every key it is asked for with its upper case. */
function recordingLoader(calls: string[][], fails?: (keys: string[]) => Error | undefined) {
  return async (keys: string[]): Promise<Map<string, string>> => {
    calls.push(keys);
    const error = fails?.(keys);
    if (error) throw error;
    return new Map(keys.filter((k) => k !== "unknown").map((k) => [k, k.toUpperCase()]));
  };
}

describe("the batcher", () => {
  it("answers lookups made in one turn with one call per per-call limit, a key it does not know with undefined", async () => {
    const calls: string[][] = [];
    const batcher = new Batcher<string, string>({ maxBatch: 2 });
    const load = recordingLoader(calls);
    const answers = await Promise.all(["a", "b", "c", "unknown", "e"].map((key) => batcher.load(key, load)));
    expect(answers).to.deep.equal(["A", "B", "C", undefined, "E"]);
    expect(calls).to.deep.equal([["a", "b"], ["c", "unknown"], ["e"]]);
  });

  it("keeps groups apart: each group's own loader serves its keys", async () => {
    const calls: string[][] = [];
    const batcher = new Batcher<string, string>({ maxBatch: 10 });
    const lower = recordingLoader(calls);
    const tagged = async (keys: string[]) => new Map(keys.map((k) => [k, `tagged ${k}`]));
    const answers = await Promise.all([
      batcher.load("a", lower, "plain"),
      batcher.load("a", tagged, "tagged"),
      batcher.load("b", lower, "plain"),
    ]);
    expect(answers).to.deep.equal(["A", "tagged a", "B"]);
    expect(calls).to.deep.equal([["a", "b"]]);
  });

  it("gathers requests arriving one by one within the window into one call", async () => {
    const calls: string[][] = [];
    const batcher = new Batcher<string, string>({ maxBatch: 10, windowMs: 30, maxWaitMs: 200 });
    const load = recordingLoader(calls);
    const first = batcher.load("a", load);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = batcher.load("b", load);
    expect(await Promise.all([first, second])).to.deep.equal(["A", "B"]);
    expect(calls).to.deep.equal([["a", "b"]]);
  });

  it("keeps a batch gathering while its operation is paced, then sends it as one call", async () => {
    const calls: string[][] = [];
    const began = Date.now();
    const batcher = new Batcher<string, string>({ maxBatch: 10, windowMs: 5, readyAt: () => began + 80 });
    const load = recordingLoader(calls);
    const first = batcher.load("a", load);
    await new Promise((resolve) => setTimeout(resolve, 40));
    const second = batcher.load("b", load);
    await Promise.all([first, second]);
    expect(Date.now() - began).to.be.at.least(75);
    expect(calls).to.deep.equal([["a", "b"]]);
  });

  it("tries each key alone when a batched change fails, so the error lands on its own key", async () => {
    const calls: string[][] = [];
    const batcher = new Batcher<string, string>({ maxBatch: 10, splitOnFailure: true });
    const load = recordingLoader(calls, (keys) => (keys.includes("bad") ? new Error("refused: bad") : undefined));
    const [good, bad, other] = await Promise.allSettled(["good", "bad", "other"].map((k) => batcher.load(k, load)));
    expect(good).to.deep.equal({ status: "fulfilled", value: "GOOD" });
    expect(other).to.deep.equal({ status: "fulfilled", value: "OTHER" });
    expect(bad.status === "rejected" && (bad.reason as Error).message).to.equal("refused: bad");
    expect(calls).to.deep.equal([["good", "bad", "other"], ["good"], ["bad"], ["other"]]);
  });

  it("without splitting, gives every key of a failed lookup the call's error", async () => {
    const calls: string[][] = [];
    const batcher = new Batcher<string, string>({ maxBatch: 10 });
    const load = recordingLoader(calls, () => new Error("throttled"));
    const errors = await Promise.all(["a", "b"].map((k) => rejection(batcher.load(k, load))));
    expect(errors.map((e) => e.message)).to.deep.equal(["throttled", "throttled"]);
    expect(calls).to.deep.equal([["a", "b"]]);
  });

  it("withdraws a request whose veto speaks as the batch goes out; the others go without it", async () => {
    const calls: string[][] = [];
    const batcher = new Batcher<string, string>({ maxBatch: 10, windowMs: 5 });
    const load = recordingLoader(calls);
    let halted = false;
    const vetoed = batcher.load("a", load, "", () => (halted ? new Error("rollout halted") : undefined));
    const kept = batcher.load("b", load);
    halted = true;
    expect((await rejection(vetoed)).message).to.equal("rollout halted");
    expect(await kept).to.equal("B");
    expect(calls).to.deep.equal([["b"]]);
  });

  it("cuts a list into the API's per-call limit, in order", () => {
    expect(chunksOf([1, 2, 3, 4, 5], 2)).to.deep.equal([[1, 2], [3, 4], [5]]);
    expect(chunksOf([], 1000)).to.deep.equal([]);
  });
});
