import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../../../tools/cli/paths";
import { PulumiWorkspace, setupPulumiCli } from "../../../tools/cli/pulumi";
import { npmInstall, packPackage } from "./package-tarball";

export interface PulumiProject {
  dir: string;
  tarballBytes: number;
  /** `extraEnv` overrides the workspace's environment (an undefined value removes a variable). */
  workspace(stack: string, ec2Endpoint: string, extraEnv?: NodeJS.ProcessEnv): PulumiWorkspace;
  dispose(): void;
}

/**
 * A temporary Pulumi TypeScript project that consumes the packed package as a user would:
 * `npm pack`, then `npm install` of the tarball next to @pulumi/pulumi, TypeScript and ts-node.
 * `template` names the program's folder under tests/e2e, or is an absolute path to it.
 */
export function createPulumiProject(template = "pulumi-project"): PulumiProject {
  const cliDir = setupPulumiCli();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-e2e-"));
  const dir = path.join(root, "project");
  const templateDir = path.isAbsolute(template) ? template : path.join(repoRoot(), "tests", "e2e", template);
  fs.cpSync(templateDir, dir, { recursive: true });
  const tarball = packPackage(root);
  const versions = JSON.parse(fs.readFileSync(path.join(repoRoot(), "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "nestedvirt-e2e", private: true }, null, 2));
  npmInstall(dir, [
    tarball,
    `@pulumi/pulumi@${versions.dependencies["@pulumi/pulumi"]}`,
    `typescript@${versions.devDependencies.typescript}`,
    `ts-node@${versions.devDependencies["ts-node"]}`,
    `@types/node@${versions.devDependencies["@types/node"]}`,
  ]);
  return {
    dir,
    tarballBytes: fs.statSync(tarball).size,
    workspace: (stack, ec2Endpoint, extraEnv) =>
      new PulumiWorkspace({
        projectDir: dir,
        stateDir: path.join(root, "state"),
        cliDir,
        ec2Endpoint,
        stack,
        extraEnv,
      }),
    dispose: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
