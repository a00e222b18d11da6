/**
 * `npm run bench` (second part) or `npm run bench:pulumi`: what a Pulumi user waits for. A stack of
 * 50 NestedVirtEnablement resources on 50 running c8i.large instances, from the packed package in a
 * temporary project under the real Pulumi CLI, with the package's default settings. Stop transitions
 * take 3.0–5.6 s (53 ms apart), starts 2 s. Prints a Markdown table for BENCHMARKS.md.
 *
 *   node dist/tools/bench-pulumi.js [--instances 50] [--parallel default,64] [--with-preview]
 *
 * --with-preview runs `pulumi up --yes` (preview, then update) instead of `--skip-preview`.
 * --front-end plugin runs the same stack through the provider plugin (nestedvirt:index:Enablement,
 * the generated TypeScript SDK) instead of the dynamic resource.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mostNotRunningAtOnce, startEmulator } from "../emulator";
import { createTypeScriptPluginProject } from "../tests/e2e/support/plugin-project";
import { createPulumiProject } from "../tests/e2e/support/pulumi-project";
import { repoRoot } from "./cli/paths";

const STOP_MS = 3000;
const STOP_STAGGER_MS = 53;
const START_MS = 2000;
const withPreview = process.argv.includes("--with-preview");
const plugin =
  process.argv.includes("--front-end") && process.argv[process.argv.indexOf("--front-end") + 1] === "plugin";
/** How the provider's process shows in its command line: the dynamic provider or the plugin. */
const PROVIDER_COMMAND = plugin ? "run-plugin" : "dynamic-provider";

function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

/** `pulumi up` of `stack`, with or without preview, at the given parallelism (Pulumi's default if none). */
function upArgs(stack: string, parallel: number | undefined): string[] {
  return [
    "up",
    "--yes",
    ...(withPreview ? [] : ["--skip-preview"]),
    "--stack",
    stack,
    ...(parallel ? ["--parallel", `${parallel}`] : []),
  ];
}

interface Row {
  parallelism: string;
  operationsAtOnce: number;
  wall: number;
  /** Wall of the baseline stack at the same parallelism: Pulumi alone, each create only sleeping its transitions. */
  baseline: number;
  /** First EC2 request to the last one: the part of the wall the provider is at work. */
  ec2Span: number;
  /** Start of `pulumi up` to its first EC2 request: CLI, program, and provider start-up. */
  beforeFirstRequest: number;
  /** 1-minute load average when the row ended (2 cores shared with other work). */
  load: number;
  floor: number;
  target: number;
  requests: number;
  perInstance: number;
  mostDown: number;
  calls: Record<string, number>;
  providerProcesses: number;
  notConverged: number;
}

/** Pulumi's own default for `--parallel`, as its help text states it. */
async function defaultParallelism(run: (args: string[]) => Promise<{ stdout: string }>): Promise<number> {
  const help = await run(["up", "--help"]);
  const match = /--parallel int32 .*\(default (\d+)\)/.exec(help.stdout);
  if (!match) throw new Error("could not read the default of `pulumi up --parallel` from its help");
  return Number(match[1]);
}

/** Descendants of `root` whose command line runs the provider (PROVIDER_COMMAND). */
function dynamicProviderPids(root: number): number[] {
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      commands.set(Number(entry), fs.readFileSync(`/proc/${entry}/cmdline`, "utf8"));
    } catch {
      // the process ended while we looked
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === root) return true;
    return false;
  };
  return [...commands].filter(([pid, cmd]) => cmd.includes(PROVIDER_COMMAND) && descends(pid)).map(([pid]) => pid);
}

async function measure(
  project: ReturnType<typeof createPulumiProject>,
  size: number,
  parallel: number | undefined,
  defaultParallel: number,
  baseline: number,
): Promise<Row> {
  const emulator = await startEmulator();
  try {
    const ids = Array.from({ length: size }, (_, i) =>
      emulator.addInstance({
        instanceType: "c8i.large",
        state: "running",
        nestedVirtualization: "disabled",
        stoppingMs: STOP_MS + i * STOP_STAGGER_MS,
        pendingMs: START_MS,
      }),
    );
    const label = parallel === undefined ? "default" : `p${parallel}`;
    const workspace = project.workspace(`bench-${label}`, emulator.endpoint, {
      // Default package settings: the poll interval is the package's own, not the tests' short one.
      NESTEDVIRT_POLL_INTERVAL_MS: undefined,
    });
    await workspace.initStack({ [plugin ? "pluginInstanceIds" : "instanceIds"]: JSON.stringify(ids) });
    emulator.resetCalls();

    const providers = new Set<number>();
    let sampler: NodeJS.Timeout | undefined;
    const started = Date.now();
    const result = await workspace.run(upArgs(workspace.stack, parallel), {
      onSpawn: (pid) => {
        sampler = setInterval(() => {
          for (const p of dynamicProviderPids(pid)) providers.add(p);
        }, 200);
      },
    });
    const wall = (Date.now() - started) / 1000;
    if (sampler) clearInterval(sampler);
    if (result.code !== 0) throw new Error(`pulumi up exited ${result.code}:\n${result.stdout}\n${result.stderr}`);

    const calls: Record<string, number> = {};
    for (const call of emulator.calls) {
      const key = call.dryRun ? `${call.action} (DryRun)` : call.action;
      calls[key] = (calls[key] ?? 0) + 1;
    }
    const times = emulator.calls.map((c) => c.at);
    const requests = emulator.calls.length;
    const operationsAtOnce = parallel ?? defaultParallel;
    const slowestCycle = (STOP_MS + (size - 1) * STOP_STAGGER_MS + START_MS) / 1000;
    const waves = Math.ceil(size / operationsAtOnce);
    const notConverged = emulator
      .instances()
      .filter(
        (i) => ids.includes(i.instanceId) && (i.state !== "running" || i.nestedVirtualization !== "enabled"),
      ).length;
    const row: Row = {
      parallelism: parallel === undefined ? `default (${defaultParallel} at once)` : `--parallel ${parallel}`,
      operationsAtOnce,
      wall,
      baseline,
      ec2Span: times.length > 0 ? (Math.max(...times) - Math.min(...times)) / 1000 : 0,
      beforeFirstRequest: times.length > 0 ? (Math.min(...times) - started) / 1000 : wall,
      load: os.loadavg()[0],
      floor: waves * slowestCycle,
      // The issue's targets: all side by side → floor + 3 s; in waves → waves × (slowest cycle + 1 s).
      target: waves === 1 ? slowestCycle + 3 : waves * (slowestCycle + 1),
      requests,
      perInstance: requests / size,
      mostDown: mostNotRunningAtOnce(emulator.stateHistory(ids), { from: started }),
      calls,
      providerProcesses: providers.size,
      notConverged,
    };
    process.stderr.write(
      `bench-pulumi: ${row.parallelism}: ${wall.toFixed(1)} s, ${requests} requests, ${JSON.stringify(calls)}\n`,
    );
    return row;
  } finally {
    await emulator.close();
  }
}

/** Each instance's stop and start transitions, in milliseconds: its share of the floor. */
function transitionsMs(size: number): number[] {
  return Array.from({ length: size }, (_, i) => STOP_MS + i * STOP_STAGGER_MS + START_MS);
}

/**
 * `pulumi up` of the baseline stack: as many resources, whose create makes no EC2 call and only
 * sleeps for its instance's transitions. What it takes beyond the floor is Pulumi's own share.
 */
async function measureBaseline(
  project: ReturnType<typeof createPulumiProject>,
  size: number,
  parallel: number | undefined,
): Promise<number> {
  const workspace = project.workspace(`baseline-${parallel ?? "default"}`, "http://127.0.0.1:9");
  await workspace.initStack({ cycleMs: JSON.stringify(transitionsMs(size)) });
  const started = Date.now();
  await workspace.ok(upArgs(workspace.stack, parallel));
  const wall = (Date.now() - started) / 1000;
  process.stderr.write(
    `bench-pulumi: baseline, ${parallel ? `--parallel ${parallel}` : "default"}: ${wall.toFixed(1)} s\n`,
  );
  return wall;
}

async function main(): Promise<void> {
  const size = Number(arg("instances", "50"));
  const settings = arg("parallel", "default,64")
    .split(",")
    .map((s) => (s === "default" ? undefined : Number(s)));
  process.stderr.write("bench-pulumi: packing the package into a temporary Pulumi project…\n");
  const project = plugin ? createTypeScriptPluginProject() : createPulumiProject();
  const baselineProject = createPulumiProject(path.join(repoRoot(), "tools", "bench", "pulumi-baseline"));
  try {
    const defaultParallel = await defaultParallelism((args) =>
      project.workspace("help", "http://127.0.0.1:9").run(args),
    );
    const rows: Row[] = [];
    for (const parallel of settings) {
      const baseline = await measureBaseline(baselineProject, size, parallel);
      rows.push(await measure(project, size, parallel, defaultParallel, baseline));
    }
    const slowest = (STOP_MS + (size - 1) * STOP_STAGGER_MS) / 1000;
    const out = [
      `${size} ${plugin ? "nestedvirt:index:Enablement (provider plugin)" : "NestedVirtEnablement (dynamic)"} resources, ${size} running c8i.large, stop ${STOP_MS / 1000}–${slowest.toFixed(1)} s (${STOP_STAGGER_MS} ms apart), start ${START_MS / 1000} s; \`pulumi up --yes${withPreview ? "" : " --skip-preview"}\`, packed package, default package settings, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
      "",
      `| \`pulumi up\` | wall s | floor s | target s | Pulumi baseline s | over baseline s | start → first EC2 request s | first → last EC2 request s | EC2 requests | per instance | most instances down at once | ${PROVIDER_COMMAND} processes | not converged | load avg |`,
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...rows.map(
        (r) =>
          `| ${r.parallelism} | ${r.wall.toFixed(1)} | ${r.floor.toFixed(1)} | ${r.target.toFixed(1)} | ${r.baseline.toFixed(1)} | ${(r.wall - r.baseline).toFixed(1)} | ${r.beforeFirstRequest.toFixed(1)} | ${r.ec2Span.toFixed(1)} | ${r.requests} | ${r.perInstance.toFixed(1)} | ${r.mostDown} | ${r.providerProcesses} | ${r.notConverged} | ${r.load.toFixed(1)} |`,
      ),
      "",
      "Requests by action:",
      "",
      ...rows.map(
        (r) =>
          `- ${r.parallelism}: ${Object.entries(r.calls)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([action, n]) => `${action} ${n}`)
            .join(", ")}`,
      ),
    ];
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    project.dispose();
    baselineProject.dispose();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-pulumi failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
