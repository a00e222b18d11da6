import { spawn } from "node:child_process";
import * as path from "node:path";
import type { ApplyJob, ApplyOutcome } from "./apply-process";

export interface ApplyProcess {
  /** Resolves once the process has loaded and waits for its start time. */
  ready: Promise<void>;
  /** Every job's outcome, in job order, once the process exits. */
  outcomes: Promise<ApplyOutcome[]>;
  /** Tells the process the epoch ms at which its jobs' delays count from. */
  begin(at: number): void;
  /** SIGKILLs the process. */
  kill(): void;
}

/** Runs engine applies in a separate Node.js process (tests/support/apply-process.ts). */
export function applyProcess(endpoint: string, jobs: ApplyJob[], env: Record<string, string> = {}): ApplyProcess {
  const script = path.join(__dirname, "apply-process.js");
  const child = spawn(process.execPath, [script, endpoint, JSON.stringify(jobs)], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  let stdout = "";
  const ready = new Promise<void>((resolve) =>
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (stdout.startsWith("ready\n")) resolve();
    }),
  );
  // A killed process prints no outcomes: it ends with none.
  const outcomes = new Promise<ApplyOutcome[]>((resolve) =>
    child.on("close", () => {
      const last = stdout.trim().split("\n").pop() ?? "";
      resolve(last.startsWith("[") ? (JSON.parse(last) as ApplyOutcome[]) : []);
    }),
  );
  return { ready, outcomes, begin: (at: number) => child.stdin.end(String(at)), kill: () => child.kill("SIGKILL") };
}

/** Starts both processes' jobs at the same instant, once both have loaded, and returns their outcomes. */
export async function applyTogether(endpoint: string, first: ApplyJob[], second: ApplyJob[]) {
  const processes = [applyProcess(endpoint, first), applyProcess(endpoint, second)];
  await Promise.all(processes.map((p) => p.ready));
  const startAt = Date.now() + 100;
  for (const p of processes) p.begin(startAt);
  const [firstOutcomes, secondOutcomes] = await Promise.all(processes.map((p) => p.outcomes));
  return { firstOutcomes: firstOutcomes ?? [], secondOutcomes: secondOutcomes ?? [] };
}
