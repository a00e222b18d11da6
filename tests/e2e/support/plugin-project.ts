import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ENABLEMENT_TOKEN } from "../../../provider/plugin/schema";
import { repoRoot } from "../../../tools/cli/paths";
import { PulumiWorkspace, setupPulumiCli } from "../../../tools/cli/pulumi";
import type { RunResult } from "../../../tools/cli/run";
import { createPulumiProject, type PulumiProject } from "./pulumi-project";
import { installedPackage } from "./terraform-project";

/** Builds (or finds in the cache) pulumi-language-yaml and returns the directory holding it. */
export function setupPulumiYaml(): string {
  const out = execFileSync("bash", [path.join(repoRoot(), "tools", "build", "setup-pulumi-yaml.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return out.trim().split("\n").pop() ?? "";
}

/** The plugin directory (PulumiPlugin.yaml) of the packed package installed into a temporary project. */
export function installedPluginDir(): string {
  return path.join(installedPackage().packageDir, "provider", "plugin");
}

export interface PluginProject {
  dir: string;
  pluginDir: string;
  workspace(stack: string, ec2Endpoint: string): PulumiWorkspace;
  dispose(): void;
}

/**
 * A temporary Pulumi YAML project whose `packages` entry is the plugin of the installed package,
 * run by the real CLI with the YAML language host built from Go modules.
 */
export function createYamlProject(): PluginProject {
  const cliDir = setupPulumiCli();
  const yamlDir = setupPulumiYaml();
  const pluginDir = installedPluginDir();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-yaml-"));
  const dir = path.join(root, "project");
  fs.mkdirSync(dir);
  const template = fs.readFileSync(path.join(repoRoot(), "tests", "e2e", "pulumi-yaml-project", "Pulumi.yaml"), "utf8");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), template.replace("PLUGIN_DIR", pluginDir));
  return {
    dir,
    pluginDir,
    workspace: (stack, ec2Endpoint) =>
      new PulumiWorkspace({
        projectDir: dir,
        stateDir: path.join(root, "state"),
        cliDir,
        ec2Endpoint,
        stack,
        extraEnv: { PATH: [yamlDir, cliDir, process.env.PATH ?? ""].join(path.delimiter) },
      }),
    dispose: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * A temporary Pulumi TypeScript project with the packed package installed (see createPulumiProject),
 * the generated TypeScript SDK (sdk/nodejs) copied next to the program, and `plugins.providers`
 * pointing at the installed package's plugin directory.
 */
export function createTypeScriptPluginProject(): PulumiProject {
  const project = createPulumiProject("pulumi-plugin-project");
  fs.cpSync(path.join(repoRoot(), "sdk", "nodejs"), path.join(project.dir, "nestedvirt-sdk"), { recursive: true });
  const manifest = path.join(project.dir, "Pulumi.yaml");
  const pluginDir = path.join(project.dir, "node_modules", "nestedvirt", "provider", "plugin");
  fs.writeFileSync(manifest, fs.readFileSync(manifest, "utf8").replace("PLUGIN_DIR", pluginDir));
  return project;
}

/** `pulumi import nestedvirt:index:Enablement <name> <instanceId> --yes [flags]` in the workspace's stack. */
export function importEnablement(
  workspace: PulumiWorkspace,
  name: string,
  instanceId: string,
  ...flags: string[]
): Promise<RunResult> {
  return workspace.ok(["import", ENABLEMENT_TOKEN, name, instanceId, "--yes", ...flags, "--stack", workspace.stack]);
}
