// Fleets applied concurrently through one engine against one emulator: wall time against the floor
// the transitions (and, when throttled, EC2's documented buckets) impose, requests per instance,
// and what was left behind.

import { spawn } from "node:child_process";
import * as path from "node:path";
import { type Ec2Emulator, startEmulator } from "../../emulator";
import type { Report } from "../../provider/cli/report";
import { createEngine, JOURNAL_TAG_KEY, Session } from "../../provider/engine";
import { repoRoot } from "../cli/paths";
import { countCalls, desiredFor, progress, seconds } from "./common";

export interface FleetScenario {
  name: string;
  instances: number;
  /** Transition durations of instance i. */
  durations: (i: number) => { stoppingMs: number; pendingMs: number };
  initial?: "disabled" | "enabled";
  prepare?: (emulator: Ec2Emulator) => void;
  /** Lower bound of the wall time besides the slowest instance's transitions, with its arithmetic. */
  extraFloor?: { ms: number; arithmetic: string };
  /**
   * How the fleet is applied: by default one engine in this process (`engine.apply` for every
   * instance at once); `cli` runs the `nestedvirt apply` command line as a user would.
   */
  via?: "engine" | "cli";
}

/** Tag of the fleet's instances, so the command line can select them with a filter. */
const FLEET_TAG = { key: "Fleet", value: "bench" };

export interface FleetFigures {
  scenario: FleetScenario;
  wallMs: number;
  floorMs: number;
  requests: number;
  describeInstances: number;
  throttled: number;
  failed: number;
  leftStopped: number;
  journalsLeft: number;
}

export async function runFleet(scenario: FleetScenario): Promise<FleetFigures> {
  const emulator = await startEmulator();
  try {
    const ids = Array.from({ length: scenario.instances }, (_, i) =>
      emulator.addInstance({
        instanceType: ["m8i.large", "c8i.xlarge", "r8i.2xlarge"][i % 3],
        nestedVirtualization: scenario.initial ?? "disabled",
        tags: { [FLEET_TAG.key]: FLEET_TAG.value },
        ...scenario.durations(i),
      }),
    );
    scenario.prepare?.(emulator);
    const started = Date.now();
    const failures =
      scenario.via === "cli" ? await applyWithCli(emulator, ids.length) : await applyWithEngine(emulator, ids);
    const wallMs = Date.now() - started;
    emulator.faults.clear();
    for (const reason of new Set(failures.map((f) => f.slice(0, 300)))) progress(`  failure: ${reason}`);
    const transitions =
      scenario.initial === "enabled"
        ? 0
        : Math.max(...ids.map((_, i) => scenario.durations(i).stoppingMs + scenario.durations(i).pendingMs));
    const counts = countCalls(emulator.calls);
    const figures: FleetFigures = {
      scenario,
      wallMs,
      floorMs: transitions + (scenario.extraFloor?.ms ?? 0),
      requests: counts.total,
      describeInstances: counts.byAction.DescribeInstances ?? 0,
      throttled: counts.throttled,
      failed: failures.length,
      leftStopped: ids.filter((id) => emulator.instance(id).state !== "running").length,
      journalsLeft: ids.filter((id) => emulator.instance(id).tags[JOURNAL_TAG_KEY] !== undefined).length,
    };
    progress(`${scenario.name} × ${scenario.instances}: ${seconds(wallMs, 1)} s, ${figures.failed} failed`);
    return figures;
  } finally {
    await emulator.close();
  }
}

/** Every instance at once through one engine; the failures' messages. */
async function applyWithEngine(emulator: Ec2Emulator, ids: string[]): Promise<string[]> {
  const engine = createEngine({ session: Session.open({ endpoint: emulator.endpoint, region: "us-east-1" }) });
  const results = await Promise.allSettled(ids.map((id) => engine.apply(desiredFor(id))));
  return results
    .filter((r): r is PromiseRejectedResult => r.status === "rejected")
    .map((r) => String((r.reason as Error).message ?? r.reason));
}

/**
 * `nestedvirt apply --filter Name=tag:Fleet,Values=bench --max-unavailable N --yes` in a process of
 * its own, N the fleet's size (so the bound takes no turn and the floor is the engine row's):
 * the wall time includes Node's start-up, loading the CLI, the plan (the preflight) and the report.
 */
async function applyWithCli(emulator: Ec2Emulator, instances: number): Promise<string[]> {
  const main = path.join(repoRoot(), "dist", "provider", "cli", "main.js");
  const args = [
    main,
    "apply",
    "--filter",
    `Name=tag:${FLEET_TAG.key},Values=${FLEET_TAG.value}`,
    "--max-unavailable",
    String(instances),
    "--timeout",
    "stop=15m,start=15m",
    "--yes",
    "--output",
    "json",
  ];
  const env = { ...process.env, AWS_ENDPOINT_URL_EC2: emulator.endpoint };
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk;
      });
      child.stderr.on("data", (chunk: Buffer) => {
        err += chunk;
      });
      child.on("error", reject);
      child.on("close", (exit) => resolve({ code: exit, stdout: out, stderr: err }));
    },
  );
  if (code === 0) return [];
  try {
    const report = JSON.parse(stdout) as Report;
    return report.instances.flatMap((i) => (i.error ? [i.error.message] : []));
  } catch {
    return [`nestedvirt exited ${code}: ${stderr.trim()}`];
  }
}

export const FLEET_HEADER = [
  "| scenario | instances | wall s | floor s | over floor s | EC2 requests | requests / instance | DescribeInstances (per s) | throttled | failed | left stopped | journals left |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
];

export function fleetRow(f: FleetFigures): string {
  const perSecond = f.describeInstances / (f.wallMs / 1000);
  return `| ${f.scenario.name} | ${f.scenario.instances} | ${seconds(f.wallMs)} | ${seconds(f.floorMs)} | ${seconds(f.wallMs - f.floorMs)} | ${f.requests} | ${(f.requests / f.scenario.instances).toFixed(2)} | ${f.describeInstances} (${perSecond.toFixed(2)}) | ${f.throttled} | ${f.failed} | ${f.leftStopped} | ${f.journalsLeft} |`;
}
