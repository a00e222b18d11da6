/**
 * `npm run bench`: speed at fleet scale against the embedded EC2 emulator, through the real AWS SDK
 * over HTTP, with the alternatives a user would pick in the same run. Prints Markdown for
 * BENCHMARKS.md. Figures, not assertions: no test times anything.
 *
 *   node dist/tools/bench.js [--only single,fleet,cli,rate,soak,noop,failed-modify,group] [--scale 1] [--cli-rounds 3]
 *
 * Transitions are shorter than EC2's (typically 30 s or more to stop, 15 s to start) so the whole
 * run fits in a few minutes, except one fleet at EC2's order (the issue's own scenario); --scale
 * multiplies every transition (--scale 3 ≈ EC2's order).
 */

import { spawn } from "node:child_process";
import * as path from "node:path";
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from "../provider/terraform/protocol/handshake";
import { generateCertificate } from "../provider/terraform/protocol/tls";
import { median } from "./bench/common";
import { failedModifyTable } from "./bench/failed-modify";
import { FLEET_HEADER, type FleetFigures, type FleetScenario, fleetRow, runFleet } from "./bench/fleet";
import { groupCountTable } from "./bench/group-count";
import { singleCycleTable } from "./bench/single-cycle";
import { repoRoot } from "./cli/paths";

function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const SCALE = Number(arg("scale", "1"));
const scaled = (ms: number) => Math.round(ms * SCALE);
/** Rounds of the command line beside the engine (`--cli-rounds`). */
const CLI_ROUNDS = Number(arg("cli-rounds", "3"));
const ONLY = new Set(arg("only", "single,fleet,cli,rate,soak,noop,failed-modify,group").split(","));

/** Three rounds; the durations are no multiple of any poll interval and differ per round. */
const SINGLE_ROUNDS = [
  { stoppingMs: scaled(8370), pendingMs: scaled(4730) },
  { stoppingMs: scaled(9130), pendingMs: scaled(5170) },
  { stoppingMs: scaled(8650), pendingMs: scaled(4910) },
];

const STAGGERED: FleetScenario = {
  name: "staggered fleet (stop 6 s + 37 ms × i, start 3 s + 17 ms × i)",
  instances: 200,
  durations: (i) => ({ stoppingMs: scaled(6000) + 37 * i, pendingMs: scaled(3000) + 17 * i }),
};

/**
 * The fleet the issue states its target for, at EC2's own order of transitions: stops staggered as
 * above, starts all alike (so the start of the last instance is learnable, its stop is not).
 */
const STAGGERED_STOPS: FleetScenario = {
  name: "staggered stops (stop 30 s + 37 ms × i, start 15 s)",
  instances: 200,
  durations: (i) => ({ stoppingMs: scaled(30_000) + 37 * i, pendingMs: scaled(15_000) }),
};

const quick = () => ({ stoppingMs: 300, pendingMs: 300 });

const FAULT_FREE: FleetScenario = {
  name: "soak baseline: no faults, 300 ms transitions",
  instances: 200,
  durations: quick,
};

const SOAK: FleetScenario = {
  name: "soak: 20% of calls refused (RequestLimitExceeded, InternalError, Unavailable), 300 ms transitions",
  instances: 200,
  durations: quick,
  prepare: (emulator) => emulator.faults.errorRate(0.2, ["RequestLimitExceeded", "InternalError", "Unavailable"]),
};

/**
 * Under EC2's documented buckets the fleet's floor is ModifyInstanceCpuOptions: it takes one
 * instance per request and its bucket holds 50 tokens refilled at 5/s. With one DryRun preflight and
 * one real call per instance that is 2 × N requests; the rest (StopInstances/StartInstances in
 * batches of up to 1000, resource buckets of 1000 instances) fits in the bursts.
 */
function rateLimited(instances: number): FleetScenario {
  const requests = 2 * instances;
  const bucketMs = (Math.max(0, requests - 50) / 5) * 1000;
  const startMs = scaled(3000);
  return {
    name: "EC2's documented rate limits (stop 3 s, start 3 s)",
    instances,
    durations: () => ({ stoppingMs: scaled(3000), pendingMs: startMs }),
    prepare: (emulator) => emulator.faults.documentedRateLimits(true),
    // The last modify can come no earlier than the bucket allows; its instance then still starts.
    extraFloor: {
      ms: bucketMs - scaled(3000),
      arithmetic: `ModifyInstanceCpuOptions: ${instances} DryRun + ${instances} real = ${requests} requests, burst 50, refill 5/s → (${requests} − 50) / 5 = ${(bucketMs / 1000).toFixed(0)} s, then the last instance's start ${(startMs / 1000).toFixed(1)} s → floor ${((bucketMs + startMs) / 1000).toFixed(1)} s`,
    },
  };
}

/** Spawn → handshake line of the Terraform provider, median of `runs`. */
async function terraformProviderStartup(runs: number): Promise<number> {
  const main = path.join(repoRoot(), "dist", "provider", "terraform", "main.js");
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [main], {
        env: {
          ...process.env,
          [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
          PLUGIN_PROTOCOL_VERSIONS: "6",
        },
        stdio: ["ignore", "pipe", "ignore"],
      });
      child.stdout.once("data", () => {
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        child.kill();
        resolve();
      });
      child.on("error", reject);
    });
  }
  return median(times);
}

/** AutoMTLS certificate generation (Terraform starts the provider for every command), median of `runs`. */
function certificateGeneration(runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    generateCertificate();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(times);
}

async function main(): Promise<void> {
  const out: string[] = [
    `Node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z, transition scale ${SCALE}.`,
    "",
  ];
  if (ONLY.has("single")) out.push("### One cycle", "", ...(await singleCycleTable({ rounds: SINGLE_ROUNDS })), "");
  const rows: string[] = [];
  const notes: string[] = [];
  if (ONLY.has("fleet")) rows.push(fleetRow(await runFleet(STAGGERED)), fleetRow(await runFleet(STAGGERED_STOPS)));
  if (ONLY.has("cli")) {
    // The same fleet through one engine and through the command line, alternating, CLI_ROUNDS times:
    // one round's difference is within the noise (a wait that just misses a look costs a poll
    // interval), so the rows are the median rounds and the figure compares medians.
    const engines: FleetFigures[] = [];
    const clis: FleetFigures[] = [];
    for (let round = 0; round < CLI_ROUNDS; round++) {
      engines.push(await runFleet(STAGGERED));
      clis.push(await runFleet({ ...STAGGERED, name: `${STAGGERED.name}, through \`nestedvirt apply\``, via: "cli" }));
    }
    const overFloor = (f: FleetFigures) => f.wallMs - f.floorMs;
    const medianRound = (all: FleetFigures[]) =>
      [...all].sort((a, b) => overFloor(a) - overFloor(b))[Math.floor(all.length / 2)];
    const [engine, cli] = [medianRound(engines), medianRound(clis)];
    rows.push(fleetRow(engine), fleetRow(cli));
    const added = (overFloor(cli) - overFloor(engine)) / 1000;
    const seconds = (all: FleetFigures[]) => all.map((f) => (overFloor(f) / 1000).toFixed(2)).join(", ");
    notes.push(
      `Command line: ${added.toFixed(2)} s over the engine's figure for the same fleet, median of ${CLI_ROUNDS} rounds each (over the floor, engine: ${seconds(engines)} s; CLI: ${seconds(clis)} s), for Node start-up, loading the CLI, the plan's preflight and the report; ${((cli.requests - engine.requests) / cli.scenario.instances).toFixed(2)} more requests per instance (the plan's stop-protection read, the filter's DescribeInstances).`,
    );
  }
  if (ONLY.has("noop")) {
    rows.push(
      fleetRow(
        await runFleet({ name: "no-op (already enabled)", instances: 500, durations: quick, initial: "enabled" }),
      ),
    );
  }
  if (ONLY.has("rate")) {
    const scenario = rateLimited(500);
    const figures = await runFleet(scenario);
    rows.push(fleetRow(figures));
    notes.push(
      `Rate-limited floor: ${scenario.extraFloor?.arithmetic}; measured ${(figures.wallMs / figures.floorMs).toFixed(2)}× the floor.`,
    );
  }
  if (ONLY.has("soak")) {
    const baseline = await runFleet(FAULT_FREE);
    const soak = await runFleet(SOAK);
    rows.push(fleetRow(baseline), fleetRow(soak));
    notes.push(`Soak: ${(soak.wallMs / baseline.wallMs).toFixed(1)}× the fault-free run.`);
  }
  if (rows.length > 0) out.push("### Fleets", "", ...FLEET_HEADER, ...rows, "", ...notes.map((n) => `- ${n}`), "");
  if (ONLY.has("failed-modify")) {
    const transitions = { stoppingMs: scaled(2000), pendingMs: scaled(2000) };
    out.push(
      "### Downtime when the modify fails",
      "",
      ...(await failedModifyTable({ ...transitions, samples: 3 })),
      "",
    );
  }
  if (ONLY.has("group")) {
    const transitions = { stoppingMs: scaled(1000), pendingMs: scaled(1000) };
    out.push(
      "### A rollout group's count across runs",
      "",
      ...(await groupCountTable({ instances: 60, maxUnavailable: 10, ...transitions, rounds: 3 })),
      "",
    );
  }
  out.push(
    `Terraform provider start-up (spawn → handshake line), median of 10: ${(await terraformProviderStartup(10)).toFixed(0)} ms.`,
    `AutoMTLS certificate generation, median of 20: ${certificateGeneration(20).toFixed(1)} ms.`,
  );
  process.stdout.write(`${out.join("\n")}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
