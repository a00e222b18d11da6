/**
 * `npm run bench`: fleet-scale figures against the embedded EC2 emulator, through the real AWS SDK
 * over HTTP. Prints a Markdown table for BENCHMARKS.md. Figures, not assertions: tests never time.
 *
 *   node dist/tools/bench.js [--sizes 10,100,500] [--pulumi 50]   (--pulumi 0 skips the CLI run)
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { createEngine, type DesiredState } from "../provider/engine";
import { startEmulator, type Ec2Emulator } from "../emulator";
import { repoRoot } from "./cli/paths";

process.env.AWS_ACCESS_KEY_ID ??= "AKIDEMULATOR";
process.env.AWS_SECRET_ACCESS_KEY ??= "emulator-secret";
process.env.AWS_REGION ??= "us-east-1";
process.env.AWS_EC2_METADATA_DISABLED = "true";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const TRANSITION_MS = 1000;
const POLL_MS = 250;

function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

function desiredFor(instanceId: string): DesiredState {
  return {
    instanceId,
    nestedVirtualization: "enabled",
    allowAutoScalingGroupMember: false,
    onDelete: "keep",
    timeouts: { stopSeconds: 600, startSeconds: 600, healthySeconds: 600 },
    waitForStatusChecks: false,
    maxUnavailable: 1,
  };
}

interface FleetFigures {
  scenario: string;
  instances: number;
  seconds: number;
  calls: Record<string, number>;
  throttled: number;
  failed: number;
  leftStopped: number;
}

async function fleet(
  scenario: string,
  size: number,
  prepare: (emulator: Ec2Emulator, ids: string[]) => void,
  initial: "disabled" | "enabled" = "disabled",
): Promise<FleetFigures> {
  const emulator = await startEmulator({ stoppingMs: TRANSITION_MS, pendingMs: TRANSITION_MS });
  try {
    const ids = Array.from({ length: size }, (_, i) =>
      emulator.addInstance({
        instanceType: ["m8i.large", "c8i.xlarge", "r8i.2xlarge"][i % 3],
        state: "running",
        nestedVirtualization: initial,
      }),
    );
    prepare(emulator, ids);
    const engine = createEngine({
      connection: { endpoint: emulator.endpoint, region: "us-east-1" },
      pollIntervalMs: POLL_MS,
    });
    const started = Date.now();
    const results = await Promise.allSettled(ids.map((id) => engine.apply(desiredFor(id))));
    const seconds = (Date.now() - started) / 1000;
    emulator.faults.clear();
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    const failed = failures.length;
    for (const reason of new Set(failures.map((f) => String((f.reason as Error).message ?? f.reason).slice(0, 300)))) {
      process.stderr.write(`bench:   failure: ${reason}\n`);
    }
    const leftStopped = ids.filter((id) => emulator.instance(id).state !== "running").length;
    const calls: Record<string, number> = {};
    let throttled = 0;
    for (const call of emulator.calls) {
      if (call.errorCode === "RequestLimitExceeded") throttled++;
      const key = call.dryRun ? `${call.action} (DryRun)` : call.action;
      calls[key] = (calls[key] ?? 0) + 1;
    }
    process.stderr.write(`bench: ${scenario} × ${size}: ${seconds.toFixed(1)} s, ${failed} failed\n`);
    return { scenario, instances: size, seconds, calls, throttled, failed, leftStopped };
  } finally {
    await emulator.close();
  }
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
          TF_PLUGIN_MAGIC_COOKIE: "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
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
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function row(f: FleetFigures): string {
  const perInstance = (action: string) => ((f.calls[action] ?? 0) / f.instances).toFixed(2);
  const total = Object.values(f.calls).reduce((a, b) => a + b, 0);
  return `| ${f.scenario} | ${f.instances} | ${f.seconds.toFixed(2)} | ${total} | ${perInstance("DescribeInstances")} | ${f.calls.DescribeInstanceTypes ?? 0} | ${perInstance("StopInstances")} | ${f.throttled} | ${f.failed} | ${f.leftStopped} |`;
}

async function main(): Promise<void> {
  const sizes = arg("sizes", "10,100,500").split(",").map(Number);
  const out: string[] = [];
  out.push(
    `Emulator transitions ${TRANSITION_MS} ms, waiter poll ${POLL_MS} ms, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    "",
  );
  out.push(
    "| scenario | instances | wall s | EC2 calls | DescribeInstances / instance | DescribeInstanceTypes | StopInstances / instance | throttled | failed | left stopped |",
  );
  out.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const size of sizes) out.push(row(await fleet("enable running fleet", size, () => undefined)));
  for (const size of sizes) out.push(row(await fleet("no-op (already enabled)", size, () => undefined, "enabled")));
  for (const size of sizes) {
    out.push(
      row(
        await fleet("account rate limit 50/s, burst 100", size, (emulator) =>
          emulator.faults.rateLimit({ perSecond: 50, burst: 100 }),
        ),
      ),
    );
  }
  // Random errors are harsher than EC2's rate-based throttling: each call is refused blindly.
  out.push(
    row(
      await fleet("30% of calls refused at random", 20, (emulator) =>
        emulator.faults.errorRate(0.3, "RequestLimitExceeded"),
      ),
    ),
  );
  out.push(
    "",
    `Terraform provider start-up (spawn → handshake line), median of 10: ${(await terraformProviderStartup(10)).toFixed(0)} ms.`,
  );
  process.stdout.write(`${out.join("\n")}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
