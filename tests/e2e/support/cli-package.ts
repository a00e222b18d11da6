import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { npmInstall, packPackage } from "./package-tarball";

/** The package packed and installed into a temporary project, as `npm install nestedvirt` would. */
export interface InstalledCli {
  /** node_modules/.bin/nestedvirt of the project. */
  bin: string;
  dir: string;
  dispose(): void;
}

export function installCli(): InstalledCli {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-cli-e2e-"));
  const dir = path.join(root, "project");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "nestedvirt-cli-e2e", private: true }));
  npmInstall(dir, [packPackage(root)]);
  return {
    bin: path.join(dir, "node_modules", ".bin", "nestedvirt"),
    dir,
    dispose: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * What a user's shell would have: the endpoint variable and credentials, this Node first on PATH
 * (the bin's `#!/usr/bin/env node`), nothing of the test process's AWS settings.
 */
export function cliEnvironment(endpoint: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("AWS_")) env[key] = value;
  return {
    ...env,
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
    AWS_ENDPOINT_URL_EC2: endpoint,
    // The emulator answers Auto Scaling's API on the same endpoint.
    AWS_ENDPOINT_URL_AUTO_SCALING: endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDEMULATOR",
    AWS_SECRET_ACCESS_KEY: "emulator-secret",
    AWS_EC2_METADATA_DISABLED: "true",
    NESTEDVIRT_POLL_INTERVAL_MS: "100",
    ...extra,
  };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A started CLI process with its output so far and a promise of how it ends. */
export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  output: { stdout: string; stderr: string };
  ended: Promise<CliRun>;
}

export function startCli(bin: string, args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(bin, args, { env, stdio: ["pipe", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk: Buffer) => {
    output.stdout += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output.stderr += chunk;
  });
  child.stdin.end();
  const ended = new Promise<CliRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, ...output }));
  });
  return { child, output, ended };
}

export function runCli(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return startCli(bin, args, env).ended;
}

/**
 * A real terminal: a tmux server of its own (its own socket), one window of a fixed size running
 * a shell. Tests type into it and read the screen as a person would see it.
 */
export class TmuxTerminal {
  private readonly socket = `nestedvirt-e2e-${process.pid}-${Date.now()}`;

  constructor(env: NodeJS.ProcessEnv, columns = 160, rows = 50) {
    const variables = Object.entries(env)
      .filter(([key]) => key.startsWith("AWS_") || key.startsWith("NESTEDVIRT_") || key === "PATH")
      .flatMap(([key, value]) => ["-e", `${key}=${value ?? ""}`]);
    this.tmux(["new-session", "-d", "-s", "e2e", "-x", String(columns), "-y", String(rows), ...variables, "sh"]);
  }

  private tmux(args: string[]): string {
    return execFileSync("tmux", ["-L", this.socket, "-f", "/dev/null", ...args], { encoding: "utf8" });
  }

  type(text: string): void {
    this.tmux(["send-keys", "-t", "e2e", "-l", text]);
    this.tmux(["send-keys", "-t", "e2e", "Enter"]);
  }

  /** Ctrl-C, as the terminal sends it to the foreground process. */
  interrupt(): void {
    this.tmux(["send-keys", "-t", "e2e", "C-c"]);
  }

  /** The visible screen, as text. */
  screen(): string {
    return this.tmux(["capture-pane", "-p", "-t", "e2e"]);
  }

  /** Polls the screen until `pattern` shows; returns the screen. */
  async waitForScreen(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`the terminal never showed ${pattern}; it shows:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  close(): void {
    try {
      this.tmux(["kill-server"]);
    } catch {
      // already gone
    }
  }
}
