import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  cliVersion,
  PROVIDER_ADDRESS,
  type ProviderInstallation,
  setupTerraformCli,
  TerraformWorkspace,
} from "../../../tools/cli/terraform";
import { npmInstall, packPackage } from "./package-tarball";

export interface InstalledPackage {
  /** …/node_modules/nestedvirt of a temporary project that installed the packed tarball. */
  packageDir: string;
  tarballBytes: number;
}

let installed: InstalledPackage | undefined;

/**
 * The package as a user gets it: `npm pack`, then `npm install` of the tarball into a temporary
 * project. Done once per test process (the Terraform and CDKTF suites share it) and removed when
 * the process exits.
 */
export function installedPackage(): InstalledPackage {
  if (installed) return installed;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-package-"));
  process.on("exit", () => fs.rmSync(root, { recursive: true, force: true }));
  const tarball = packPackage(root);
  const project = path.join(root, "project");
  fs.mkdirSync(project);
  fs.writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({ name: "nestedvirt-terraform-e2e", private: true }, null, 2),
  );
  npmInstall(project, [tarball]);
  installed = { packageDir: path.join(project, "node_modules", "nestedvirt"), tarballBytes: fs.statSync(tarball).size };
  return installed;
}

export interface TerraformProject {
  root: string;
  cliPath: string;
  /** e.g. "Terraform v1.11.4" or "OpenTofu v1.10.6". */
  cli: string;
  packageDir: string;
  /** A fresh working directory `work/<name>` using the installed provider. */
  workspace(name: string, installation?: ProviderInstallation, extraEnv?: NodeJS.ProcessEnv): TerraformWorkspace;
  /** The CLI in an existing directory (e.g. a CDKTF stack's output directory). */
  workspaceIn(
    workingDir: string,
    installation?: ProviderInstallation,
    extraEnv?: NodeJS.ProcessEnv,
  ): TerraformWorkspace;
  dispose(): void;
}

export function createTerraformProject(): TerraformProject {
  const cliPath = setupTerraformCli();
  const { packageDir } = installedPackage();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-terraform-"));
  const workspaceIn = (
    workingDir: string,
    installation: ProviderInstallation = "dev_overrides",
    extraEnv?: NodeJS.ProcessEnv,
  ) =>
    new TerraformWorkspace({
      workingDir,
      cliPath,
      pluginDir: path.join(root, "plugins"),
      packageDir,
      installation,
      extraEnv,
    });
  return {
    root,
    cliPath,
    cli: cliVersion(cliPath),
    packageDir,
    workspace: (name, installation, extraEnv) => workspaceIn(path.join(root, "work", name), installation, extraEnv),
    workspaceIn,
    dispose: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

export interface EnablementBlock {
  name: string;
  instanceId: string;
  nestedVirtualization?: "enabled" | "disabled";
  onDelete?: "keep" | "restore";
  allowAutoScalingGroupMember?: boolean;
  autoScaling?: "refuse" | "standby" | "allow";
  stopProtection?: "refuse" | "lift";
  timeouts?: { stop?: string; start?: string; healthy?: string };
  waitForStatusChecks?: boolean;
  verifyInGuest?: boolean;
  rolloutGroup?: string;
  maxUnavailable?: number;
}

/** A configuration: the provider pointed at the emulator and one `nestedvirt_enablement` per block. */
export function configuration(endpoint: string, resources: EnablementBlock[], extra = ""): string {
  const blocks = resources.map((r) => {
    const lines = [`  instance_id = ${JSON.stringify(r.instanceId)}`];
    if (r.nestedVirtualization) lines.push(`  nested_virtualization = ${JSON.stringify(r.nestedVirtualization)}`);
    if (r.onDelete) lines.push(`  on_delete = ${JSON.stringify(r.onDelete)}`);
    if (r.allowAutoScalingGroupMember !== undefined)
      lines.push(`  allow_auto_scaling_group_member = ${r.allowAutoScalingGroupMember}`);
    if (r.autoScaling) lines.push(`  auto_scaling = ${JSON.stringify(r.autoScaling)}`);
    if (r.stopProtection) lines.push(`  stop_protection = ${JSON.stringify(r.stopProtection)}`);
    if (r.waitForStatusChecks !== undefined) lines.push(`  wait_for_status_checks = ${r.waitForStatusChecks}`);
    if (r.verifyInGuest !== undefined) lines.push(`  verify_in_guest = ${r.verifyInGuest}`);
    if (r.rolloutGroup) lines.push(`  rollout_group = ${JSON.stringify(r.rolloutGroup)}`);
    if (r.maxUnavailable !== undefined) lines.push(`  max_unavailable = ${r.maxUnavailable}`);
    if (r.timeouts) {
      lines.push("  timeouts {");
      if (r.timeouts.stop) lines.push(`    stop = ${JSON.stringify(r.timeouts.stop)}`);
      if (r.timeouts.start) lines.push(`    start = ${JSON.stringify(r.timeouts.start)}`);
      if (r.timeouts.healthy) lines.push(`    healthy = ${JSON.stringify(r.timeouts.healthy)}`);
      lines.push("  }");
    }
    return `resource "nestedvirt_enablement" ${JSON.stringify(r.name)} {\n${lines.join("\n")}\n}\n`;
  });
  return `terraform {
  required_providers {
    nestedvirt = {
      source = ${JSON.stringify(PROVIDER_ADDRESS)}
    }
  }
}

provider "nestedvirt" {
  endpoint = ${JSON.stringify(endpoint)}
  region   = "us-east-1"
}

${blocks.join("\n")}${extra}`;
}

/** CLI output as one line of text: Terraform wraps diagnostics at 78 columns. */
export function flat(text: string): string {
  return text.replace(/\s+/g, " ");
}
