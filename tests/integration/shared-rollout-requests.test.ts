import { expect } from "chai";
import { DEFAULT_POLL_INTERVAL_MS } from "../../provider/engine/waiters";
import { type GroupCountRun, runGroupCountOnce } from "../../tools/bench/group-count";

const INSTANCES = 24;
const MAX_UNAVAILABLE = 6;
const FLEET = { instances: INSTANCES, maxUnavailable: MAX_UNAVAILABLE, stoppingMs: 500, pendingMs: 500, rounds: 1 };

/** Claims written (journal and group tags in one CreateTags per batch), and the DeleteTags taking them off. */
const claimWrites = (run: GroupCountRun) => run.byAction.CreateTags ?? 0;
const tagRemovals = (run: GroupCountRun) => run.byAction.DeleteTags ?? 0;

describe("what a rollout group's count across runs costs two processes (real SDK over HTTP)", () => {
  // The figure holds at the default pace of one look per second: the tests' 20 ms pace would have
  // the run waiting for room poll the group fifty times a second. The processes inherit it.
  let testPace: string | undefined;
  before(() => {
    testPace = process.env.NESTEDVIRT_POLL_INTERVAL_MS;
    process.env.NESTEDVIRT_POLL_INTERVAL_MS = String(DEFAULT_POLL_INTERVAL_MS);
  });
  after(() => {
    if (testPace === undefined) delete process.env.NESTEDVIRT_POLL_INTERVAL_MS;
    else process.env.NESTEDVIRT_POLL_INTERVAL_MS = testPace;
  });

  it(`two processes sharing a group of ${INSTANCES} (maxUnavailable ${MAX_UNAVAILABLE}) make at most half a request per instance more than each counting alone`, async function () {
    this.timeout(180_000);
    // The same fleet, half in each process, started together: first each counting only itself
    // (so up to twice maxUnavailable down), then both counting the group in EC2.
    const alone = await runGroupCountOnce(FLEET, "two runs in-process");
    const shared = await runGroupCountOnce(FLEET, "two runs");
    const label = JSON.stringify({ alone: alone.byAction, shared: shared.byAction });

    // What the users saw: every apply succeeded, and no tag of the count stayed behind.
    expect([alone.failed, shared.failed, shared.tagsLeft], label).to.deep.equal([0, 0, 0]);
    // What EC2 saw: the shared count held the bound that the runs alone exceeded…
    expect(alone.mostDown, label).to.be.above(MAX_UNAVAILABLE);
    expect(shared.mostDown, label).to.be.at.most(MAX_UNAVAILABLE);
    // …for at most half a request per instance more, of every kind.
    expect(shared.requests - alone.requests, label).to.be.at.most(INSTANCES / 2);
    // The runs took the group in turns, each wave claimed in one write: at most one claim of the
    // run that came second was taken back, not one per wave and waiter.
    const waves = INSTANCES / MAX_UNAVAILABLE;
    expect(claimWrites(shared), label).to.be.at.most(waves + 2);
    expect(tagRemovals(shared), label).to.be.at.most(waves + 2);
  });
});
