import { EC2Client, type Instance } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { type Ec2Emulator, startEmulator } from "../../emulator";
import { Ec2Gateway, NestedVirtError } from "../../provider/engine";
import { PollBudget, RETRY, SharedPoller } from "../../provider/engine/poller";
import { FleetRetryStrategy } from "../../provider/engine/retry";
import { waitInstanceRunning, waitInstanceStopped } from "../../provider/engine/waiters";
import { rejection } from "../support/rejection";

const WAIT = { timeoutSeconds: 60, pollIntervalMs: 20 };

/** A gateway whose SDK client tries each call once, so a throttled tick reaches the poller. */
function gatewayFor(emulator: Ec2Emulator, maxAttempts = 3): Ec2Gateway {
  return new Ec2Gateway(
    new EC2Client({
      endpoint: emulator.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      retryStrategy: new FleetRetryStrategy(maxAttempts),
    }),
  );
}

function describeCalls(emulator: Ec2Emulator) {
  return emulator.calls.filter((c) => c.action === "DescribeInstances");
}

describe("the shared poller behind the waits", () => {
  let emulator: Ec2Emulator;

  beforeEach(async () => {
    emulator = await startEmulator({ stoppingMs: 150, pendingMs: 150 });
  });
  afterEach(async () => {
    await emulator.close();
  });

  it("asks for every waiting instance in one DescribeInstances per tick", async () => {
    const ids = Array.from({ length: 30 }, (_, i) =>
      emulator.addInstance({ state: "stopping", stoppingMs: 100 + 10 * i }),
    );
    const gateway = gatewayFor(emulator);
    await Promise.all(ids.map((id) => waitInstanceStopped(gateway, id, WAIT)));
    const calls = describeCalls(emulator);
    // The first tick sees all 30 waiting; later ticks ask only for those still waiting, always together.
    expect(calls[0]?.instanceIds).to.have.members(ids);
    expect(calls.length).to.be.lessThan(ids.length);
    for (const call of calls) expect(call.instanceIds.length).to.be.greaterThan(0);
    expect(ids.every((id) => emulator.instance(id).state === "stopped")).to.equal(true);
  });

  it("splits more than 1000 waiting instances into calls of at most 1000 IDs", async function () {
    this.timeout(60_000);
    const ids = Array.from({ length: 1100 }, () => emulator.addInstance({ state: "pending" }));
    const gateway = gatewayFor(emulator);
    await Promise.all(ids.map((id) => waitInstanceRunning(gateway, id, WAIT)));
    const calls = describeCalls(emulator);
    expect(Math.max(...calls.map((c) => c.instanceIds.length))).to.equal(1000);
    // The first tick sees all 1100 waiting: one call of 1000 and one of the other 100. Later ticks
    // ask only for the instances still waiting (how many depends on timing), never more than 1000.
    expect(calls.slice(0, 2).map((c) => c.instanceIds.length)).to.have.members([1000, 100]);
    expect(new Set(calls.slice(0, 2).flatMap((c) => c.instanceIds))).to.have.property("size", 1100);
    for (const call of calls) expect(call.instanceIds.length).to.be.within(1, 1000);
  });

  it("ends a cancelled wait at once with the signal's reason, and stops asking for that instance", async () => {
    const stuck = emulator.addInstance({});
    const other = emulator.addInstance({ state: "stopping", stoppingMs: 400 });
    emulator.faults.stuckInStopping(stuck);
    emulator.setState(stuck, "stopping");
    const gateway = gatewayFor(emulator);
    const controller = new AbortController();
    const cancelled = waitInstanceStopped(gateway, stuck, { ...WAIT, signal: controller.signal });
    const continuing = waitInstanceStopped(gateway, other, WAIT);
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort(new Error("told to stop"));
    expect((await rejection(cancelled)).message).to.equal("told to stop");
    const callsAtAbort = describeCalls(emulator).length;
    await continuing;
    const later = describeCalls(emulator).slice(callsAtAbort);
    expect(later.length).to.be.greaterThan(0);
    expect(later.every((c) => !c.instanceIds.includes(stuck) || c.at <= later[0].at)).to.equal(true);
    expect(gateway.instancePoller.waiting).to.equal(0);
  });

  it("refuses an already aborted signal without calling EC2", async () => {
    const id = emulator.addInstance({ state: "stopping" });
    const gateway = gatewayFor(emulator);
    const error = await rejection(waitInstanceStopped(gateway, id, { ...WAIT, signal: AbortSignal.abort() }));
    expect(error.name).to.equal("AbortError");
    expect(describeCalls(emulator)).to.have.length(0);
  });

  it("fails the wait of an instance that disappears, naming it, while the others in the same tick go on", async () => {
    const vanishing = emulator.addInstance({});
    emulator.faults.stuckInStopping(vanishing);
    emulator.setState(vanishing, "stopping");
    const staying = emulator.addInstance({ state: "stopping", stoppingMs: 300 });
    const gateway = gatewayFor(emulator);
    const lost = rejection(waitInstanceStopped(gateway, vanishing, WAIT));
    const kept = waitInstanceStopped(gateway, staying, WAIT);
    await new Promise((resolve) => setTimeout(resolve, 80));
    emulator.removeInstance(vanishing);
    const error = await lost;
    expect(error).to.be.instanceOf(NestedVirtError);
    expect(error.message).to.contain(`Instance ${vanishing} went to "not-found" while waiting for "stopped"`);
    await kept;
    expect(emulator.instance(staying).state).to.equal("stopped");
  });

  it("keeps waiting through a tick that is throttled, and finishes on a later one", async () => {
    const id = emulator.addInstance({ state: "stopping", stoppingMs: 200 });
    const gateway = gatewayFor(emulator, 1);
    emulator.faults.failNext("DescribeInstances", "RequestLimitExceeded", undefined, 2);
    await waitInstanceStopped(gateway, id, WAIT);
    expect(describeCalls(emulator).map((c) => c.errorCode)).to.include.ordered.members([
      "RequestLimitExceeded",
      "RequestLimitExceeded",
      undefined,
    ]);
    expect(emulator.instance(id).state).to.equal("stopped");
  });

  /** A poller of its own (budget and learned durations), waiting for instances to stop. */
  function stoppedPoller(gateway: Ec2Gateway, budget: PollBudget, intervalMs: number) {
    const poller = new SharedPoller<Instance>({
      fetch: (ids) => gateway.describeInstances(ids),
      maxKeysPerCall: 1000,
      budget,
      durations: new Map(),
    });
    return (id: string) =>
      poller.wait({
        key: id,
        kind: "instance-stopped",
        acceptor: (instance) => (instance?.State?.Name === "stopped" ? { state: "success", result: true } : RETRY),
        timeoutMs: 10_000,
        onTimeout: () => new Error("timeout"),
        intervalMs,
      });
  }

  it("waits that begin at different moments share ticks: about one look per interval, not one per wait", async () => {
    const interval = 200;
    const waitStopped = stoppedPoller(gatewayFor(emulator), new PollBudget(), interval);
    const ids = Array.from({ length: 5 }, () => emulator.addInstance({ state: "stopping", stoppingMs: 2000 }));
    const started = Date.now();
    await Promise.all(ids.map((id, i) => new Promise((r) => setTimeout(r, 35 * i)).then(() => waitStopped(id))));
    const looks = describeCalls(emulator).length;
    // Each wait counts its next look from the last tick that saw it: five phases would be five times the looks.
    expect(looks).to.be.at.most((Date.now() - started) / interval + 3);
    expect(ids.every((id) => emulator.instance(id).state === "stopped")).to.equal(true);
  });

  it("with the budget spent, looks again after one interval: no reserve is held while no wait expects its end", async () => {
    const interval = 200;
    const budget = new PollBudget();
    budget.spend(budget.burst, interval);
    const waitStopped = stoppedPoller(gatewayFor(emulator), budget, interval);
    const id = emulator.addInstance({ state: "stopping", stoppingMs: 1500 });
    const waiting = waitStopped(id);
    await new Promise((r) => setTimeout(r, 2.5 * interval));
    // A reserve of three looks for windows that no wait has would put the first look at four intervals.
    expect(describeCalls(emulator).length).to.be.at.least(1);
    await waiting;
  });

  it("learns how long a kind of wait takes: the next such wait looks less often, mostly near the expected end", async () => {
    const interval = 100;
    const gateway = gatewayFor(emulator);
    const poller = new SharedPoller<Instance>({
      fetch: (ids) => gateway.describeInstances(ids),
      maxKeysPerCall: 1000,
      budget: new PollBudget(),
      durations: new Map(),
    });
    const waitStopped = async (id: string) => {
      const from = emulator.calls.length;
      await poller.wait({
        key: id,
        kind: "instance-stopped",
        acceptor: (instance) => (instance?.State?.Name === "stopped" ? { state: "success", result: true } : RETRY),
        timeoutMs: 10_000,
        onTimeout: () => new Error("timeout"),
        intervalMs: interval,
      });
      return emulator.calls.slice(from).filter((c) => c.action === "DescribeInstances").length;
    };
    const first = emulator.addInstance({ state: "stopping", stoppingMs: 1500 });
    const started = Date.now();
    const unlearned = await waitStopped(first);
    const second = emulator.addInstance({ state: "stopping", stoppingMs: 1500 });
    const learned = await waitStopped(second);
    // Unlearned: one look per interval (about 15). Learned: one early look, then the window around 1.5 s.
    expect(unlearned).to.be.at.least(12);
    expect(learned).to.be.lessThan(unlearned / 2);
    // Together within one look per interval on average, plus the budget's burst.
    expect(unlearned + learned).to.be.at.most((Date.now() - started) / interval + new PollBudget().burst);
  });

  it("settles a wait only with an answer to a request sent after the wait began", async () => {
    const id = emulator.addInstance({ state: "running" });
    const gateway = gatewayFor(emulator);
    const sends: number[] = [];
    const poller = new SharedPoller<Instance>({
      // Each answer arrives 100 ms after its request, so a second wait can begin while one is under way.
      fetch: async (ids) => {
        sends.push(Date.now());
        const answer = await gateway.describeInstances(ids);
        await new Promise((resolve) => setTimeout(resolve, 100));
        return answer;
      },
      maxKeysPerCall: 1000,
      budget: new PollBudget(),
      durations: new Map(),
    });
    const look = (accept: boolean) =>
      poller.wait({
        key: id,
        kind: "instance-running",
        acceptor: (instance) => (accept && instance ? { state: "success", result: Date.now() } : RETRY),
        timeoutMs: 5_000,
        intervalMs: 20,
        onTimeout: () => new Error("timeout"),
      });
    const controller = new AbortController();
    const first = poller.wait({
      key: id,
      kind: "instance-stopped",
      acceptor: () => RETRY,
      timeoutMs: 5_000,
      intervalMs: 20,
      signal: controller.signal,
      onTimeout: () => new Error("timeout"),
    });
    first.catch(() => undefined);
    while (sends.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    const secondBegan = Date.now();
    await look(true);
    controller.abort();
    // The request under way when the second wait began was answered, and did not settle it.
    expect(sends.filter((at) => at >= secondBegan)).to.have.length.greaterThan(0);
    expect(emulator.calls.filter((c) => c.action === "DescribeInstances")).to.have.length.of.at.least(2);
  });
});
