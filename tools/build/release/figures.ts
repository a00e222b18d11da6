/**
 * `npm run release:figures`: what a release weighs and how fast its executable starts, for
 * BENCHMARKS.md and the release notes. Builds the release first (from the build cache when the
 * provider is unchanged). Start-up is spawn → go-plugin handshake line on stdout, the single
 * executable next to the npm package's bin (`node dist/provider/terraform/main.js`), interleaved
 * so both see the same machine load.
 *
 *   node dist/tools/build/release/figures.js [--runs 20]
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../../cli/paths";
import { buildRelease } from "./build";
import { hostTarget, NODE_VERSION } from "./targets";

const HANDSHAKE_ENV = {
  TF_PLUGIN_MAGIC_COOKIE: "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
  PLUGIN_PROTOCOL_VERSIONS: "6",
};

/** Milliseconds from spawn until the first stdout line (the handshake); the process is then killed. */
export function handshakeMilliseconds(command: string, args: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...HANDSHAKE_ENV },
      stdio: ["ignore", "pipe", "ignore"],
    });
    child.stdout.once("data", () => {
      resolve(Number(process.hrtime.bigint() - started) / 1e6);
      child.kill();
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`${command} exited ${code} before its handshake`)));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mb = (file: string) => (fs.statSync(file).size / 1e6).toFixed(1);

async function main(): Promise<void> {
  const index = process.argv.indexOf("--runs");
  const runs = index >= 0 ? Number(process.argv[index + 1]) : 20;
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-figures-"));
  try {
    const release = await buildRelease({ outDir });
    const lines = [
      `Release ${release.version}, Node.js ${NODE_VERSION} inside, ${new Date().toISOString().slice(0, 10)}.`,
      "",
      "| platform | executable MB | zip MB |",
      "| --- | ---: | ---: |",
      ...release.targets.map((t) => `| ${t.target.name} | ${mb(t.executable)} | ${mb(t.zip)} |`),
    ];
    const host = release.targets.find((t) => t.target.name === hostTarget()?.name);
    if (host) {
      const npmBin = path.join(repoRoot(), "dist", "provider", "terraform", "main.js");
      const single: number[] = [];
      const npm: number[] = [];
      for (let i = 0; i < runs; i++) {
        single.push(await handshakeMilliseconds(host.executable, []));
        npm.push(await handshakeMilliseconds(process.execPath, [npmBin]));
      }
      lines.push(
        "",
        `Start-up, spawn → handshake line, median of ${runs} (interleaved): single executable ${median(single).toFixed(0)} ms (Node.js ${NODE_VERSION}); npm bin ${median(npm).toFixed(0)} ms (Node.js ${process.version.slice(1)}); ratio ${(median(single) / median(npm)).toFixed(2)}.`,
      );
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `figures failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
