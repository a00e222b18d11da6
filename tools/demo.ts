/**
 * The quickstart, end to end: the real Pulumi CLI runs the root Pulumi.yaml program against the
 * embedded EC2 emulator (preview, up, outputs, destroy) and this script says what happened to
 * the instance in plain words.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type InstanceSnapshot, startEmulator } from "../emulator";
import { repoRoot } from "./cli/paths";
import { PulumiWorkspace, setupPulumiCli } from "./cli/pulumi";

const say = (line = "") => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const root = repoRoot();
  linkPackageIntoNodeModules(root);
  say("==> Preparing the Pulumi CLI (built from Go modules once, then cached)");
  const cliDir = setupPulumiCli();

  const emulator = await startEmulator({ stoppingMs: 2000, pendingMs: 2000 });
  const instanceId = emulator.addInstance({
    instanceId: "i-0c0ffee0c0ffee000",
    instanceType: "m8i.large",
    state: "running",
    nestedVirtualization: "disabled",
    publicIp: "ephemeral",
    tags: { Name: "ci-runner" },
  });
  const before = emulator.instance(instanceId);
  say(`==> EC2 emulator on ${emulator.endpoint}`);
  say(
    `    ${instanceId}: ${before.instanceType}, ${before.state}, nested virtualization ${before.nestedVirtualization}, public IP ${before.publicIp}`,
  );

  const stateDir = path.join(root, ".cache", "demo");
  fs.rmSync(stateDir, { recursive: true, force: true });
  const pulumi = new PulumiWorkspace({
    projectDir: root,
    stateDir,
    cliDir,
    ec2Endpoint: emulator.endpoint,
    stack: "demo",
  });
  try {
    await pulumi.initStack({ instanceId });

    say("\n==> pulumi preview");
    await pulumi.ok(["preview", "--diff"], { echo: true });
    const previewMutations = emulator.mutatingCalls().length;
    say(`    The preview read the instance and changed nothing (${previewMutations} mutating EC2 calls).`);

    say("\n==> pulumi up");
    emulator.resetCalls();
    await pulumi.ok(["up", "--yes", "--skip-preview"], { echo: true });
    const order = emulator
      .mutatingCalls()
      .map((c) => c.action)
      .join(" → ");
    const outputs = await pulumi.outputs();
    const after = emulator.instance(instanceId);
    say("\n==> Stack outputs");
    say(JSON.stringify(outputs, null, 2));

    say("\n==> pulumi destroy (onDelete defaults to keep: the instance keeps the setting)");
    emulator.resetCalls();
    await pulumi.ok(["destroy", "--yes", "--skip-preview"], { echo: true });
    const destroyMutations = emulator.mutatingCalls().length;
    await pulumi.ok(["stack", "rm", "--yes", "demo"]);

    say("\n==> What happened to the instance");
    for (const line of narrate({ instanceId, order, before, after, outputs, destroyMutations })) say(`  - ${line}`);
  } finally {
    await emulator.close();
  }
}

/**
 * The quickstart program and its dynamic provider require "nestedvirt" by name, as a user's
 * program does. Inside this repository that name must resolve to the repository itself; Node's
 * package self-reference does not reach code Pulumi evaluates from a string, so link it.
 */
function linkPackageIntoNodeModules(root: string): void {
  const link = path.join(root, "node_modules", "nestedvirt");
  if (!fs.existsSync(link)) fs.symlinkSync(root, link, "dir");
}

interface Story {
  instanceId: string;
  order: string;
  before: InstanceSnapshot;
  after: InstanceSnapshot;
  outputs: Record<string, unknown>;
  destroyMutations: number;
}

/** Plain-words account of the run, built from what EC2 saw, never assumed. */
function narrate(story: Story): string[] {
  const { instanceId, order, before, after, outputs, destroyMutations } = story;
  const cycle = outputs.lastCycle as { downtimeSeconds?: number } | undefined;
  const lines: string[] = [];
  lines.push(
    order
      ? `pulumi up changed ${instanceId} from nested virtualization ${before.nestedVirtualization} to ${after.nestedVirtualization}; EC2 saw ${order}.`
      : `pulumi up made no change to ${instanceId}.`,
  );
  if (cycle?.downtimeSeconds)
    lines.push(`It was unavailable for ${cycle.downtimeSeconds} s and is ${after.state} again.`);
  else lines.push(`It is ${after.state}.`);
  if (before.publicIp !== after.publicIp) {
    lines.push(
      `Its public IP changed from ${before.publicIp} to ${after.publicIp}: it was not an Elastic IP, as the warning said.`,
    );
  }
  lines.push(
    destroyMutations === 0
      ? `pulumi destroy made no EC2 change (onDelete defaults to keep): nested virtualization stays ${after.nestedVirtualization}.`
      : `pulumi destroy made ${destroyMutations} mutating EC2 calls.`,
  );
  return lines;
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
