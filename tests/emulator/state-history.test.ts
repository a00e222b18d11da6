import { type EC2Client, StartInstancesCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { type Ec2Emulator, mostNotRunningAtOnce, type StateHistory, startEmulator } from "../../emulator";
import { ec2Client, ManualClock } from "./helpers";

describe("emulator: state history (manual clock)", () => {
  const clock = new ManualClock();
  const t0 = clock.nowMs;
  let emulator: Ec2Emulator;
  let client: EC2Client;

  beforeEach(async () => {
    clock.nowMs = t0;
    emulator = await startEmulator({ stoppingMs: 1000, pendingMs: 2000, now: clock.now });
    client = ec2Client(emulator);
  });
  afterEach(async () => {
    client.destroy();
    await emulator.close();
  });

  async function historyOverHttp(query = ""): Promise<{ status: number; body: StateHistory }> {
    const response = await fetch(`${emulator.endpoint}/_emulator/state-history${query}`);
    return { status: response.status, body: (await response.json()) as StateHistory };
  }

  it("stamps each transition of a stop and start with the time it happened, even when read much later", async () => {
    const id = emulator.addInstance({});
    clock.advance(10);
    await client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    clock.advance(5000); // nobody looks while the stop completes at t0 + 1010
    await client.send(new StartInstancesCommand({ InstanceIds: [id] }));
    clock.advance(60_000);
    expect(emulator.stateHistory()).to.deep.equal({
      [id]: [
        { at: t0, state: "running" },
        { at: t0 + 10, state: "stopping" },
        { at: t0 + 1010, state: "stopped" },
        { at: t0 + 5010, state: "pending" },
        { at: t0 + 7010, state: "running" },
      ],
    });
  });

  it("uses each instance's own transition durations", async () => {
    const slow = emulator.addInstance({ stoppingMs: 5600, pendingMs: 2000 });
    const fast = emulator.addInstance({ stoppingMs: 3000, pendingMs: 2000 });
    await client.send(new StopInstancesCommand({ InstanceIds: [slow, fast] }));
    clock.advance(6000);
    const history = emulator.stateHistory([slow, fast]);
    expect(history[slow].map((c) => c.at - t0)).to.deep.equal([0, 0, 5600]);
    expect(history[fast].map((c) => c.at - t0)).to.deep.equal([0, 0, 3000]);
  });

  it("records a stop held in stopping as completing when it is released", async () => {
    const id = emulator.addInstance({});
    emulator.faults.stuckInStopping(id);
    await client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    clock.advance(4000);
    emulator.faults.stuckInStopping(id, false);
    clock.advance(3000);
    expect(emulator.stateHistory()[id].at(-1)).to.deep.equal({ at: t0 + 4000, state: "stopped" });
  });

  it("serves GET /_emulator/state-history, for all instances or the ones named by instanceId", async () => {
    const a = emulator.addInstance({});
    const b = emulator.addInstance({ state: "stopped" });
    const c = emulator.addInstance({});
    await client.send(new StopInstancesCommand({ InstanceIds: [a] }));
    clock.advance(1000);
    const all = await historyOverHttp();
    expect(all.status).to.equal(200);
    expect(Object.keys(all.body).sort()).to.deep.equal([a, b, c].sort());
    expect(all.body[a].map((change) => change.state)).to.deep.equal(["running", "stopping", "stopped"]);
    const some = await historyOverHttp(`?instanceId=${a}&instanceId=${b}`);
    expect(some.body).to.deep.equal({
      [a]: all.body[a],
      [b]: [{ at: t0, state: "stopped" }],
    });
  });
});

describe("emulator: mostNotRunningAtOnce", () => {
  const cycle = (stopAt: number, stoppedAt: number, startAt: number, runningAt: number) => [
    { at: 0, state: "running" as const },
    { at: stopAt, state: "stopping" as const },
    { at: stoppedAt, state: "stopped" as const },
    { at: startAt, state: "pending" as const },
    { at: runningAt, state: "running" as const },
  ];

  it("counts instances whose outages overlap", () => {
    const history: StateHistory = {
      a: cycle(100, 200, 300, 400),
      b: cycle(150, 250, 350, 450),
      c: cycle(390, 500, 600, 700),
    };
    expect(mostNotRunningAtOnce(history)).to.equal(3);
  });

  it("counts one for outages one after the other, even when one ends at the millisecond the next begins", () => {
    const history: StateHistory = {
      a: cycle(100, 200, 300, 400),
      b: cycle(400, 500, 600, 700),
      c: cycle(700, 800, 900, 1000),
    };
    expect(mostNotRunningAtOnce(history)).to.equal(1);
  });

  it("counts only the instances asked about", () => {
    const history: StateHistory = { a: cycle(100, 200, 300, 400), b: cycle(150, 250, 350, 450) };
    expect(mostNotRunningAtOnce(history, { instanceIds: ["b", "unknown"] })).to.equal(1);
  });

  it("counts an instance that stays stopped, and none that never stops", () => {
    const history: StateHistory = {
      stopped: [{ at: 0, state: "stopped" }],
      running: [{ at: 0, state: "running" }],
    };
    expect(mostNotRunningAtOnce(history)).to.equal(1);
    expect(mostNotRunningAtOnce({ running: history.running })).to.equal(0);
  });

  it("looks only inside a time window, with the states instances had when it opened", () => {
    const history: StateHistory = {
      seededStopped: [
        { at: 0, state: "stopped" },
        { at: 50, state: "pending" },
        { at: 90, state: "running" },
      ],
      a: cycle(100, 200, 300, 400),
      b: cycle(380, 480, 580, 680),
    };
    expect(mostNotRunningAtOnce(history)).to.equal(2);
    expect(mostNotRunningAtOnce(history, { to: 370 })).to.equal(1);
    expect(mostNotRunningAtOnce(history, { from: 400 })).to.equal(1);
    expect(mostNotRunningAtOnce(history, { from: 700 })).to.equal(0);
  });
});
