// One stop–modify–start cycle of one instance, four ways, side by side on one emulator: the AWS
// SDK v3 waiters with their defaults, a terraform-provider-aws style StateChangeConf poller, a
// fixed 1 s poll, and this project's engine with its default settings. Overhead = wall time minus
// the instance's two transitions (which are set per instance, and are no multiple of any interval).

import {
  DescribeInstancesCommand,
  EC2Client,
  ModifyInstanceCpuOptionsCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceStopped,
} from "@aws-sdk/client-ec2";
import { type Ec2Emulator, startEmulator } from "../../emulator";
import { createEngine, Session } from "../../provider/engine";
import { CREDENTIALS, countCalls, desiredFor, median, progress, seconds } from "./common";

type Cycle = (client: EC2Client, instanceId: string, endpoint: string) => Promise<void>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function stateOf(client: EC2Client, instanceId: string): Promise<string> {
  const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name ?? "not-found";
}

/** Stop → wait → modify → start → wait, with `wait` the approach's waiter. */
function rawCycle(wait: (client: EC2Client, id: string, target: "stopped" | "running") => Promise<void>): Cycle {
  return async (client, id) => {
    await client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await wait(client, id, "stopped");
    await client.send(new ModifyInstanceCpuOptionsCommand({ InstanceId: id, NestedVirtualization: "enabled" }));
    await client.send(new StartInstancesCommand({ InstanceIds: [id] }));
    await wait(client, id, "running");
  };
}

/** The SDK's generated waiters with their defaults (minDelay 15 s, maxDelay 120 s). */
const sdkWaiters = rawCycle(async (client, id, target) => {
  const wait = target === "stopped" ? waitUntilInstanceStopped : waitUntilInstanceRunning;
  await wait({ client, maxWaitTime: 900 }, { InstanceIds: [id] });
});

/**
 * terraform-provider-aws waits for instance states with helper/retry's StateChangeConf (Delay 10 s,
 * MinTimeout 3 s): a first refresh after Delay, then waits from 100 ms doubling, never under
 * MinTimeout and never over 10 s. Written here from that description.
 */
const stateChangeConf = rawCycle(async (client, id, target) => {
  await sleep(10_000);
  let wait = 100;
  for (;;) {
    if ((await stateOf(client, id)) === target) return;
    await sleep(Math.min(10_000, Math.max(3_000, wait)));
    wait *= 2;
  }
});

const fixedOneSecond = rawCycle(async (client, id, target) => {
  while ((await stateOf(client, id)) !== target) await sleep(1000);
});

const project: Cycle = async (_client, id, endpoint) => {
  await createEngine({ session: Session.open({ endpoint, region: "us-east-1" }) }).apply(desiredFor(id));
};

const APPROACHES: readonly { name: string; cycle: Cycle }[] = [
  { name: "AWS SDK v3 waitUntilInstanceStopped/Running, defaults", cycle: sdkWaiters },
  { name: "StateChangeConf style (Delay 10 s, MinTimeout 3 s, 100 ms doubling, cap 10 s)", cycle: stateChangeConf },
  { name: "fixed 1 s poll (reference)", cycle: fixedOneSecond },
  { name: "this project, default settings", cycle: project },
];

interface Sample {
  overheadMs: number;
  describeInstances: number;
  requests: number;
}

/** Runs every approach once, concurrently, each on its own instance of one emulator. */
async function oneRound(stoppingMs: number, pendingMs: number): Promise<Sample[]> {
  const emulator: Ec2Emulator = await startEmulator();
  try {
    const ids = APPROACHES.map(() => emulator.addInstance({ stoppingMs, pendingMs, instanceType: "m8i.large" }));
    return await Promise.all(
      APPROACHES.map(async ({ cycle }, i) => {
        const id = ids[i] ?? "";
        const client = new EC2Client({ endpoint: emulator.endpoint, region: "us-east-1", credentials: CREDENTIALS });
        const started = Date.now();
        await cycle(client, id, emulator.endpoint);
        const wallMs = Date.now() - started;
        client.destroy();
        const counts = countCalls(emulator.calls, new Set([id]));
        return {
          overheadMs: wallMs - stoppingMs - pendingMs,
          describeInstances: counts.byAction.DescribeInstances ?? 0,
          requests: counts.total,
        };
      }),
    );
  } finally {
    await emulator.close();
  }
}

export interface SingleCycleOptions {
  /** Stop and start transition of each round, in ms. */
  rounds: readonly { stoppingMs: number; pendingMs: number }[];
}

export async function singleCycleTable(options: SingleCycleOptions): Promise<string[]> {
  const samples: Sample[][] = APPROACHES.map(() => []);
  for (const [r, round] of options.rounds.entries()) {
    progress(
      `single cycle, round ${r + 1}/${options.rounds.length} (stop ${round.stoppingMs} ms, start ${round.pendingMs} ms)`,
    );
    const results = await oneRound(round.stoppingMs, round.pendingMs);
    for (const [i, sample] of results.entries()) samples[i]?.push(sample);
  }
  const medians = samples.map((s) => median(s.map((x) => x.overheadMs)));
  const ours = medians[medians.length - 1] ?? 1;
  const range = (values: number[], format: (n: number) => string) => {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return lo === hi ? format(lo) : `${format(lo)}–${format(hi)}`;
  };
  const lines = [
    `Transitions per round (stop / start): ${options.rounds.map((r) => `${seconds(r.stoppingMs)} s / ${seconds(r.pendingMs)} s`).join(", ")}.`,
    "",
    "| approach | overhead, median (min–max) | × this project | DescribeInstances per cycle | EC2 requests per cycle |",
    "| --- | --- | ---: | ---: | ---: |",
  ];
  APPROACHES.forEach(({ name }, i) => {
    const s = samples[i] ?? [];
    const overheads = s.map((x) => x.overheadMs);
    lines.push(
      `| ${name} | ${seconds(medians[i] ?? 0)} s (${range(overheads, (n) => seconds(n))}) | ${((medians[i] ?? 0) / ours).toFixed(1)} | ${range(
        s.map((x) => x.describeInstances),
        String,
      )} | ${range(
        s.map((x) => x.requests),
        String,
      )} |`,
    );
  });
  return lines;
}
