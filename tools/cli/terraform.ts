import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROVIDER_ADDRESS } from "../../provider/terraform/schema";
import { repoRoot } from "./paths";
import { type RunOptions, type RunResult, runCommand } from "./run";

export { PROVIDER_ADDRESS };
/** The executable name Terraform looks for in a dev override directory or a mirror. */
export const PROVIDER_EXECUTABLE = "terraform-provider-nestedvirt";

/**
 * The Terraform-compatible CLI to use: `tools/build/setup-terraform.sh` decides (terraform from PATH,
 * else a cached OpenTofu build) and prints the binary's path as its last stdout line.
 */
export function setupTerraformCli(env: NodeJS.ProcessEnv = process.env): string {
  const script = path.join(repoRoot(), "tools", "build", "setup-terraform.sh");
  const out = execFileSync("bash", [script], { encoding: "utf8", env, stdio: ["ignore", "pipe", "inherit"] });
  const cli = out.trim().split("\n").pop()?.trim() ?? "";
  if (!cli) throw new Error(`${script} printed no CLI path`);
  return cli;
}

/** `Terraform v1.11.4` or `OpenTofu v1.12.6`: the product and version `<cli> version` reports. */
export function cliVersion(cliPath: string): string {
  const out = execFileSync(cliPath, ["version"], {
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
    stdio: ["ignore", "pipe", "ignore"],
  });
  // Warnings about the CLI configuration may come first.
  return /^(Terraform|OpenTofu) v\S+/m.exec(out)?.[0] ?? out.trim().split("\n")[0];
}

/** How the CLI finds the provider. */
export type ProviderInstallation =
  /** `dev_overrides`: no `init` needed (Terraform's `init` would still ask the registry). */
  | "dev_overrides"
  /** A local `filesystem_mirror`: `init` installs from it and writes the lock file, offline. */
  | "filesystem_mirror";

export interface TerraformWorkspaceOptions {
  /** Directory holding the configuration (*.tf / *.tf.json); created if missing. */
  workingDir: string;
  /** The terraform or tofu binary (setupTerraformCli()). */
  cliPath: string;
  /** Directory for the provider executable (the dev override directory); created if missing. */
  pluginDir: string;
  /** Root of the installed nestedvirt package (…/node_modules/nestedvirt) whose provider runs. */
  packageDir: string;
  /** Default `dev_overrides`. */
  installation?: ProviderInstallation;
  /** A CLI configuration of the caller's own (e.g. a release mirror) instead of `installation`; no wrapper is written. */
  cliConfig?: string;
  extraEnv?: NodeJS.ProcessEnv;
}

/** Subcommands that accept -input=false / -no-color. */
const INPUT_FLAG = new Set(["init", "plan", "apply", "destroy", "import", "refresh"]);
const COLOR_FLAG = new Set([...INPUT_FLAG, "show", "validate", "output", "fmt", "console"]);

/** Where the CLI is pointed for registry traffic: a closed port, so any attempt fails at once. */
const NO_NETWORK_PROXY = "http://127.0.0.1:9";

/**
 * A Terraform (or OpenTofu) CLI bound to one working directory, offline by construction: its own
 * CLI configuration (TF_CLI_CONFIG_FILE) installs `nestedvirt` from a local directory, the
 * provider executable is a wrapper running the installed package's `main.js`, no checkpoint
 * call, and registry traffic goes to a closed proxy port.
 */
export class TerraformWorkspace {
  readonly env: NodeJS.ProcessEnv;
  readonly configFile: string;
  readonly mirrorDir: string;

  constructor(readonly options: TerraformWorkspaceOptions) {
    fs.mkdirSync(options.workingDir, { recursive: true });
    fs.mkdirSync(options.pluginDir, { recursive: true });
    const installation = options.installation ?? "dev_overrides";
    this.mirrorDir = path.join(options.pluginDir, "mirror");
    this.configFile = path.join(options.pluginDir, `${installation}.tfrc`);

    if (options.cliConfig !== undefined) {
      fs.writeFileSync(this.configFile, options.cliConfig);
    } else {
      this.installFromPackage(installation);
    }

    const inherited = { ...process.env };
    for (const name of Object.keys(inherited)) {
      // Nothing from the caller's Terraform or AWS setup may leak in.
      if (/^(TF_|AWS_)/.test(name)) delete inherited[name];
    }
    this.env = {
      ...inherited,
      TF_IN_AUTOMATION: "1",
      TF_CLI_CONFIG_FILE: this.configFile,
      CHECKPOINT_DISABLE: "1",
      HTTPS_PROXY: NO_NETWORK_PROXY,
      HTTP_PROXY: NO_NETWORK_PROXY,
      NO_PROXY: "127.0.0.1,localhost",
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "AKIDEMULATOR",
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "emulator-secret",
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      // Node 20 is what this machine has; the SDK's notice about its 2027 releases would fill every log.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      NESTEDVIRT_POLL_INTERVAL_MS: "50",
      NO_COLOR: "1",
      ...options.extraEnv,
    };
  }

  /** The provider from the installed npm package: a wrapper, in a dev override or a local mirror. */
  private installFromPackage(installation: ProviderInstallation): void {
    const { options } = this;
    const wrapper = writeProviderWrapper(options.pluginDir, options.packageDir);
    if (installation === "filesystem_mirror") {
      const version = packageVersion(options.packageDir);
      const target = path.join(this.mirrorDir, PROVIDER_ADDRESS, version, platformDir());
      fs.mkdirSync(target, { recursive: true });
      fs.copyFileSync(wrapper, path.join(target, `${PROVIDER_EXECUTABLE}_v${version}`));
      fs.chmodSync(path.join(target, `${PROVIDER_EXECUTABLE}_v${version}`), 0o755);
    }
    fs.writeFileSync(this.configFile, cliConfig(installation, options.pluginDir, this.mirrorDir));
  }

  get workingDir(): string {
    return this.options.workingDir;
  }

  /** Writes (replaces) one configuration file in the working directory. */
  writeFile(name: string, content: string): void {
    fs.writeFileSync(path.join(this.options.workingDir, name), content);
  }

  /** Runs `<cli> <args>` (with -input=false / -no-color where the subcommand takes them); never throws for an exit code. */
  run(args: string[], extra: Partial<RunOptions> = {}): Promise<RunResult> {
    const [command, ...rest] = args;
    const flags = [
      ...(INPUT_FLAG.has(command) ? ["-input=false"] : []),
      ...(COLOR_FLAG.has(command) ? ["-no-color"] : []),
    ];
    return runCommand(this.options.cliPath, [command, ...flags, ...rest], {
      cwd: this.options.workingDir,
      env: this.env,
      ...extra,
    });
  }

  /** Runs and fails with the CLI's own output when it exits non-zero. */
  async ok(args: string[], extra: Partial<RunOptions> = {}): Promise<RunResult> {
    const result = await this.run(args, extra);
    if (result.code !== 0) {
      throw new Error(
        `${path.basename(this.options.cliPath)} ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`,
      );
    }
    return result;
  }

  /** `show -json <planFile>`: the machine-readable plan. */
  async showJson(planFile: string): Promise<TerraformPlanJson> {
    const result = await this.ok(["show", "-json", planFile]);
    return JSON.parse(result.stdout) as TerraformPlanJson;
  }

  /** `show -json` without a plan: the current state. */
  async stateJson(): Promise<TerraformStateJson> {
    const result = await this.ok(["show", "-json"]);
    return JSON.parse(result.stdout) as TerraformStateJson;
  }

  /** The resources recorded in state (root module), by address. */
  async stateResources(): Promise<Record<string, TerraformStateResource>> {
    const state = await this.stateJson();
    return Object.fromEntries((state.values?.root_module?.resources ?? []).map((r) => [r.address, r]));
  }

  /** `output -json`, as plain values. */
  async outputs(): Promise<Record<string, unknown>> {
    const result = await this.ok(["output", "-json"]);
    const outputs = JSON.parse(result.stdout) as Record<string, { value: unknown }>;
    return Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.value]));
  }
}

/** The provider executable: a shell wrapper running the installed package's provider with this Node.js. */
export function writeProviderWrapper(pluginDir: string, packageDir: string): string {
  const main = path.join(packageDir, "dist", "provider", "terraform", "main.js");
  if (!fs.existsSync(main)) throw new Error(`${main} does not exist; is nestedvirt installed in ${packageDir}?`);
  const wrapper = path.join(pluginDir, PROVIDER_EXECUTABLE);
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(main)} "$@"\n`, {
    mode: 0o755,
  });
  fs.chmodSync(wrapper, 0o755);
  return wrapper;
}

function cliConfig(installation: ProviderInstallation, pluginDir: string, mirrorDir: string): string {
  if (installation === "dev_overrides") {
    return `provider_installation {
  dev_overrides {
    ${JSON.stringify(PROVIDER_ADDRESS)} = ${JSON.stringify(pluginDir)}
  }
  direct {}
}
`;
  }
  return `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(mirrorDir)}
    include = [${JSON.stringify(PROVIDER_ADDRESS)}]
  }
  direct {
    exclude = [${JSON.stringify(PROVIDER_ADDRESS)}]
  }
}
`;
}

function packageVersion(packageDir: string): string {
  return (JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string }).version;
}

/** Terraform's platform directory name, e.g. linux_amd64. */
export function platformDir(): string {
  const arch: Record<string, string> = { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" };
  return `${process.platform === "win32" ? "windows" : process.platform}_${arch[process.arch] ?? process.arch}`;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export interface TerraformResourceChange {
  address: string;
  type: string;
  name: string;
  change: {
    actions: string[];
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
    after_unknown?: Record<string, unknown>;
    importing?: { id?: string };
    replace_paths?: unknown[];
  };
  action_reason?: string;
}

export interface TerraformPlanJson {
  format_version: string;
  terraform_version: string;
  resource_changes?: TerraformResourceChange[];
  resource_drift?: TerraformResourceChange[];
  planned_values?: unknown;
  errored?: boolean;
}

export interface TerraformStateResource {
  address: string;
  type: string;
  name: string;
  provider_name: string;
  schema_version: number;
  values: Record<string, unknown>;
}

export interface TerraformStateJson {
  format_version?: string;
  terraform_version?: string;
  values?: { root_module?: { resources?: TerraformStateResource[] }; outputs?: Record<string, { value: unknown }> };
}
