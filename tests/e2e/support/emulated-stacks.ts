import { type Ec2Emulator, startEmulator } from "../../../emulator";
import type { PulumiWorkspace } from "../../../tools/cli/pulumi";

export interface StackProject {
  workspace(stack: string, ec2Endpoint: string): PulumiWorkspace;
  dispose(): void;
}

export async function setStackConfig(workspace: PulumiWorkspace, config: Record<string, unknown>): Promise<void> {
  for (const [key, value] of Object.entries(config)) {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    await workspace.ok(["config", "set", key, text, "--stack", workspace.stack]);
  }
}

/**
 * Mocha hooks for a suite of Pulumi stacks against one emulator: creates the project and the
 * emulator before the suite (handing both to `ready`), removes them after it, and returns
 * `stackFor(name, config)`, which initialises a stack with that config.
 */
export function useEmulatedStacks<P extends StackProject>(
  createProject: () => P,
  ready: (project: P, emulator: Ec2Emulator) => void,
): (name: string, config: Record<string, unknown>) => Promise<PulumiWorkspace> {
  let project: P | undefined;
  let emulator: Ec2Emulator | undefined;
  before(async () => {
    project = createProject();
    emulator = await startEmulator({ stoppingMs: 300, pendingMs: 300 });
    ready(project, emulator);
  });
  after(async () => {
    await emulator?.close();
    project?.dispose();
  });
  return async (name, config) => {
    if (!project || !emulator) throw new Error("the suite's before hook has not run");
    const workspace = project.workspace(name, emulator.endpoint);
    await workspace.initStack();
    await setStackConfig(workspace, config);
    return workspace;
  };
}
