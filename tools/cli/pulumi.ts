import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "./paths";
import { type RunOptions, type RunResult, runCommand } from "./run";

/** Builds (or finds in the cache) the Pulumi CLI and returns the directory holding it. */
export function setupPulumiCli(): string {
  const out = execFileSync("bash", [path.join(repoRoot(), "tools", "build", "setup-pulumi.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return out.trim().split("\n").pop() ?? "";
}

export interface PulumiWorkspaceOptions {
  /** The Pulumi project directory (holds Pulumi.yaml). */
  projectDir: string;
  /** Directory for the local file backend and PULUMI_HOME; created if missing. */
  stateDir: string;
  /** Directory holding the pulumi binaries (setupPulumiCli()). */
  cliDir: string;
  /** The EC2 endpoint the program's AWS SDK should use (AWS_ENDPOINT_URL_EC2). */
  ec2Endpoint: string;
  stack?: string;
  extraEnv?: NodeJS.ProcessEnv;
}

/**
 * A Pulumi CLI bound to one project and stack, offline by construction: local file backend,
 * fixed passphrase, no update check, no plugin downloads.
 */
export class PulumiWorkspace {
  readonly env: NodeJS.ProcessEnv;
  readonly stack: string;

  constructor(readonly options: PulumiWorkspaceOptions) {
    this.stack = options.stack ?? "dev";
    const backend = path.join(options.stateDir, "backend");
    const home = path.join(options.stateDir, "home");
    fs.mkdirSync(backend, { recursive: true });
    fs.mkdirSync(home, { recursive: true });
    this.env = {
      ...process.env,
      PATH: `${options.cliDir}${path.delimiter}${process.env.PATH ?? ""}`,
      PULUMI_HOME: home,
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_CONFIG_PASSPHRASE: "nestedvirt-test-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      PULUMI_DIY_BACKEND_GZIP: "false",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
      AWS_ENDPOINT_URL_EC2: options.ec2Endpoint,
      // The emulator answers Auto Scaling's API on the same endpoint.
      AWS_ENDPOINT_URL_AUTO_SCALING: options.ec2Endpoint,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "AKIDEMULATOR",
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "emulator-secret",
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      NESTEDVIRT_POLL_INTERVAL_MS: process.env.NESTEDVIRT_POLL_INTERVAL_MS ?? "50",
      NO_COLOR: "1",
      // Node 20 is what this machine has; the SDK's notice about its 2027 releases would fill every log.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...options.extraEnv,
    };
  }

  run(args: string[], extra: Partial<RunOptions> = {}): Promise<RunResult> {
    return runCommand("pulumi", [...args, "--non-interactive"], {
      cwd: this.options.projectDir,
      env: this.env,
      ...extra,
    });
  }

  /** Runs and fails with the CLI's own output when it exits non-zero. */
  async ok(args: string[], extra: Partial<RunOptions> = {}): Promise<RunResult> {
    const result = await this.run(args, extra);
    if (result.code !== 0) {
      throw new Error(`pulumi ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    }
    return result;
  }

  async initStack(config: Record<string, string> = {}): Promise<void> {
    await this.ok(["stack", "init", this.stack]);
    for (const [key, value] of Object.entries(config))
      await this.ok(["config", "set", key, value, "--stack", this.stack]);
  }

  async outputs(): Promise<Record<string, unknown>> {
    const result = await this.ok(["stack", "output", "--json", "--show-secrets", "--stack", this.stack]);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  async exportState(): Promise<PulumiDeployment> {
    const result = await this.ok(["stack", "export", "--stack", this.stack]);
    return (JSON.parse(result.stdout) as { deployment: PulumiDeployment }).deployment;
  }
}

export interface PulumiStateResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface PulumiDeployment {
  resources?: PulumiStateResource[];
  pending_operations?: { resource: PulumiStateResource; type: string }[];
}
