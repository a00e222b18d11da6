// Fleets applied concurrently through one engine against one emulator: wall time against the floor
// the transitions (and, when throttled, EC2's documented buckets) impose, requests per instance,
// and what was left behind.

import { type Ec2Emulator, startEmulator } from "../../emulator";
import { createEngine, JOURNAL_TAG_KEY } from "../../provider/engine";
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
}

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
        ...scenario.durations(i),
      }),
    );
    scenario.prepare?.(emulator);
    const engine = createEngine({ connection: { endpoint: emulator.endpoint, region: "us-east-1" } });
    const started = Date.now();
    const results = await Promise.allSettled(ids.map((id) => engine.apply(desiredFor(id))));
    const wallMs = Date.now() - started;
    emulator.faults.clear();
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    for (const reason of new Set(failures.map((f) => String((f.reason as Error).message ?? f.reason).slice(0, 300)))) {
      progress(`  failure: ${reason}`);
    }
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

export const FLEET_HEADER = [
  "| scenario | instances | wall s | floor s | over floor s | EC2 requests | requests / instance | DescribeInstances (per s) | throttled | failed | left stopped | journals left |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
];

export function fleetRow(f: FleetFigures): string {
  const perSecond = f.describeInstances / (f.wallMs / 1000);
  return `| ${f.scenario.name} | ${f.scenario.instances} | ${seconds(f.wallMs)} | ${seconds(f.floorMs)} | ${seconds(f.wallMs - f.floorMs)} | ${f.requests} | ${(f.requests / f.scenario.instances).toFixed(2)} | ${f.describeInstances} (${perSecond.toFixed(2)}) | ${f.throttled} | ${f.failed} | ${f.leftStopped} | ${f.journalsLeft} |`;
}
