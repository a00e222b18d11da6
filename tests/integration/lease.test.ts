import { EC2Client } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { type Ec2Emulator, startEmulator } from "../../emulator";
import { Ec2Gateway } from "../../provider/engine";
import { encodeJournal, JOURNAL_TAG_KEY } from "../../provider/engine/journal";
import { OtherCycleTimeoutError, waitForOtherCycle } from "../../provider/engine/lease";
import { FleetRetryStrategy } from "../../provider/engine/retry";
import type { CycleJournal } from "../../provider/engine/types";
import { waitInstanceStopped } from "../../provider/engine/waiters";
import { rejection } from "../support/rejection";

const POLL_MS = 20;

function gatewayFor(emulator: Ec2Emulator): Ec2Gateway {
  return new Ec2Gateway(
    new EC2Client({
      endpoint: emulator.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      retryStrategy: new FleetRetryStrategy(3),
    }),
  );
}

/** Another run's live journal on the instance, as that run would have written it. */
function holdByAnotherRun(emulator: Ec2Emulator, id: string, stallMs: number) {
  const journal: CycleJournal = {
    priorState: "running",
    from: "disabled",
    to: "enabled",
    startedAt: new Date().toISOString(),
    runToken: "other-run",
    leaseUntil: new Date(Date.now() + 60_000).toISOString(),
    stallMs,
  };
  const tag = encodeJournal(journal);
  emulator.setTag(id, JOURNAL_TAG_KEY, tag);
  return { journal, tag };
}

function waitOptions(deadlineMs: number, signal?: AbortSignal) {
  return {
    deadline: Date.now() + deadlineMs,
    timeoutSeconds: deadlineMs / 1000,
    pollIntervalMs: POLL_MS,
    stallMs: 60_000,
    signal,
  };
}

describe("waiting for another run's cycle (real SDK over HTTP)", () => {
  let emulator: Ec2Emulator;

  beforeEach(async () => {
    emulator = await startEmulator({ stoppingMs: 300, pendingMs: 300 });
  });
  afterEach(async () => {
    await emulator.close();
  });

  it("rides the instance poller beside the state waits, and ends when the other run takes its journal off", async () => {
    const held = emulator.addInstance({});
    const stopping = emulator.addInstance({ state: "stopping", stoppingMs: 200 });
    const journal = holdByAnotherRun(emulator, held, 60_000);
    const gateway = gatewayFor(emulator);
    const otherCycle = waitForOtherCycle(gateway, held, journal, waitOptions(10_000));
    await waitInstanceStopped(gateway, stopping, { timeoutSeconds: 10, pollIntervalMs: POLL_MS });
    emulator.removeTag(held, JOURNAL_TAG_KEY);
    expect(await otherCycle).to.equal("finished");
    const describes = emulator.calls.filter((c) => c.action === "DescribeInstances");
    // Both waits were answered by the same ticks: no DescribeInstances of the lease's own.
    expect(describes.some((c) => c.instanceIds.includes(held) && c.instanceIds.includes(stopping))).to.equal(true);
    expect(gateway.instancePoller.waiting).to.equal(0);
    expect(emulator.instance(held).state).to.equal("running");
  });

  it("counts the other run gone once the instance sits stopped past the journal's stall allowance", async () => {
    const held = emulator.addInstance({ state: "stopped" });
    const journal = holdByAnotherRun(emulator, held, 150);
    const began = Date.now();
    expect(await waitForOtherCycle(gatewayFor(emulator), held, journal, waitOptions(10_000))).to.equal("abandoned");
    expect(Date.now() - began).to.be.at.least(150);
    expect(emulator.calls.filter((c) => !c.dryRun).map((c) => c.action)).to.satisfy((actions: string[]) =>
      actions.every((a) => a === "DescribeInstances"),
    );
  });

  it("gives up at this run's deadline, naming the instance and how to free it, having changed nothing", async () => {
    const held = emulator.addInstance({});
    const journal = holdByAnotherRun(emulator, held, 60_000);
    const error = await rejection(waitForOtherCycle(gatewayFor(emulator), held, journal, waitOptions(300)));
    expect(error).to.be.instanceOf(OtherCycleTimeoutError);
    expect(error.message).to.contain(held).and.contain(`aws ec2 delete-tags --resources ${held}`);
    expect(emulator.instance(held).state).to.equal("running");
    expect(emulator.calls.every((c) => c.action === "DescribeInstances")).to.equal(true);
  });

  it("stops waiting at once when the run is told to stop, and stops asking for the instance", async () => {
    const held = emulator.addInstance({});
    const journal = holdByAnotherRun(emulator, held, 60_000);
    const gateway = gatewayFor(emulator);
    const controller = new AbortController();
    const waiting = waitForOtherCycle(gateway, held, journal, waitOptions(10_000, controller.signal));
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort(new Error("told to stop"));
    expect((await rejection(waiting)).message).to.equal("told to stop");
    expect(gateway.instancePoller.waiting).to.equal(0);
  });
});
