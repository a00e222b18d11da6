// Stand-alone emulator: node dist/emulator/main.js [--port N] [--host H]
//   [--seed demo|none] [--endpoint-file F] [--stopping-ms N] [--pending-ms N]

import { writeFileSync } from "node:fs";
import { type Ec2Emulator, startEmulator } from "./emulator";
import type { SeedInstance } from "./instances";

interface CliOptions {
  host: string;
  port: number;
  seed: "demo" | "none";
  endpointFile?: string;
  stoppingMs: number;
  pendingMs: number;
}

export const DEMO_INSTANCES: readonly SeedInstance[] = [
  {
    instanceId: "i-0c0ffee0c0ffee000",
    instanceType: "m8i.large",
    state: "running",
    nestedVirtualization: "disabled",
    publicIp: "ephemeral",
    tags: { Name: "demo-supported-running" },
  },
  {
    instanceId: "i-0c0ffee0c0ffee001",
    instanceType: "c8i.xlarge",
    state: "stopped",
    tags: { Name: "demo-supported-stopped" },
  },
  {
    instanceId: "i-0c0ffee0c0ffee002",
    instanceType: "m6i.large",
    state: "running",
    tags: { Name: "demo-unsupported-type" },
  },
];

function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { host: "127.0.0.1", port: 4599, seed: "demo", stoppingMs: 2000, pendingMs: 2000 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    const integer = (): number => {
      const raw = value();
      if (!/^\d+$/.test(raw)) throw new Error(`${flag} needs a non-negative integer, got ${raw}`);
      return Number(raw);
    };
    switch (flag) {
      case "--port":
        options.port = integer();
        break;
      case "--host":
        options.host = value();
        break;
      case "--seed": {
        const seed = value();
        if (seed !== "demo" && seed !== "none") throw new Error(`--seed must be demo or none, got ${seed}`);
        options.seed = seed;
        break;
      }
      case "--endpoint-file":
        options.endpointFile = value();
        break;
      case "--stopping-ms":
        options.stoppingMs = integer();
        break;
      case "--pending-ms":
        options.pendingMs = integer();
        break;
      default:
        throw new Error(`unknown argument ${flag}`);
    }
  }
  return options;
}

function instanceTable(emulator: Ec2Emulator): string {
  const rows = emulator
    .instances()
    .map((i) => [
      i.instanceId,
      i.instanceType,
      i.state,
      `nested=${i.nestedVirtualization}`,
      i.publicIp ?? "-",
      i.tags.Name ?? "",
    ]);
  const widths = rows.reduce<number[]>((acc, row) => row.map((cell, c) => Math.max(acc[c] ?? 0, cell.length)), []);
  return rows
    .map(
      (row) =>
        "  " +
        row
          .map((cell, c) => cell.padEnd(widths[c] ?? 0))
          .join("  ")
          .trimEnd(),
    )
    .join("\n");
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const emulator = await startEmulator({
    host: options.host,
    port: options.port,
    stoppingMs: options.stoppingMs,
    pendingMs: options.pendingMs,
  });
  if (options.seed === "demo") for (const seed of DEMO_INSTANCES) emulator.addInstance(seed);
  // Write the file first: whoever watches stdout may read it as soon as the banner appears.
  if (options.endpointFile) writeFileSync(options.endpointFile, `${emulator.endpoint}\n`);
  console.log(`EC2 emulator listening on ${emulator.endpoint}`);
  if (emulator.instances().length > 0) console.log(instanceTable(emulator));

  const shutdown = (signal: string): void => {
    console.log(`EC2 emulator: ${signal}, shutting down`);
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`EC2 emulator failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
