/**
 * Engine applies in a process of its own, for the two-process tests:
 *   node apply-process.js <endpoint> '<[{"instanceId","setting","delayMs"}, …]>'
 * Prints "ready" once loaded, reads from stdin the epoch ms at which to begin, runs each apply
 * `delayMs` after that, and prints one JSON line with every outcome: exactly what a user of that
 * run would have been told.
 */
import { createEngine, NestedVirtError, type NestedVirtSetting, Session } from "../../provider/engine";
import { desiredOf } from "./facts";

export interface ApplyJob {
  instanceId: string;
  setting: NestedVirtSetting;
  delayMs: number;
  rolloutGroup?: string;
  maxUnavailable?: number;
  autoScaling?: "refuse" | "standby" | "allow";
  stopProtection?: "refuse" | "lift";
}

export interface ApplyOutcome {
  ok: boolean;
  setting?: NestedVirtSetting;
  slotWaitSeconds?: number;
  code?: string;
  message?: string;
  began: number;
  at: number;
}

async function applyAt(session: Session, job: ApplyJob, startAt: number): Promise<ApplyOutcome> {
  const engine = createEngine({ session, pollIntervalMs: 20 });
  const desired = desiredOf({
    instanceId: job.instanceId,
    nestedVirtualization: job.setting,
    timeouts: { stopSeconds: 60, startSeconds: 60, healthySeconds: 60 },
    ...(job.rolloutGroup ? { rolloutGroup: job.rolloutGroup, maxUnavailable: job.maxUnavailable ?? 1 } : {}),
    ...(job.autoScaling ? { autoScaling: job.autoScaling } : {}),
    ...(job.stopProtection ? { stopProtection: job.stopProtection } : {}),
  });
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt + job.delayMs - Date.now())));
  const began = Date.now();
  try {
    const applied = await engine.apply(desired);
    const slotWaitSeconds = applied.lastCycle?.slotWaitSeconds;
    return {
      ok: true,
      setting: applied.nestedVirtualization,
      ...(slotWaitSeconds !== undefined ? { slotWaitSeconds } : {}),
      began,
      at: Date.now(),
    };
  } catch (error) {
    const code = error instanceof NestedVirtError ? error.code : "Unexpected";
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, code, message, began, at: Date.now() };
  }
}

async function main(): Promise<void> {
  const [endpoint, jobsJson] = process.argv.slice(2);
  const jobs = JSON.parse(jobsJson) as ApplyJob[];
  process.stdout.write("ready\n");
  const startAt = await new Promise<number>((resolve) => process.stdin.once("data", (c) => resolve(Number(String(c)))));
  process.stdin.pause();
  // One process, one run: its applies share a session, as a front end's resources do.
  const session = Session.open({ endpoint, region: "us-east-1" });
  const outcomes = await Promise.all(jobs.map((job) => applyAt(session, job, startAt)));
  process.stdout.write(`${JSON.stringify(outcomes)}\n`);
}

if (require.main === module) void main();
