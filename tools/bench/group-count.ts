// What a rollout group's count across runs costs: the same fleet in one group, applied through one
// engine with the count kept in EC2 (group and slot tags, the group's filtered DescribeInstances per
// decision) and with the count kept in the process only, and split over two processes counting in
// EC2. Extra requests per instance, extra wall time per wave (a wave: `maxUnavailable` instances out
// of service together).

import { spawn } from "node:child_process";
import * as path from "node:path";
import { type CallRecord, mostNotRunningAtOnce, startEmulator } from "../../emulator";
import { createEngine, GROUP_TAG_KEY, JOURNAL_TAG_KEY, Session, SLOT_TAG_KEY } from "../../provider/engine";
import { countCalls, desiredFor, median, progress, seconds } from "./common";

export interface GroupCountOptions {
  instances: number;
  maxUnavailable: number;
  stoppingMs: number;
  pendingMs: number;
  /** Rounds of each variant, alternating, so drift of the machine hits both alike. */
  rounds: number;
}

interface Run {
  /** Per claim: from its CreateTags (journal, group, slot) to the group's read-back (ms). */
  claimToReadBackMs: number[];
  wallMs: number;
  requests: number;
  describeInstances: number;
  failed: number;
  mostDown: number;
  tagsLeft: number;
}

/** How the fleet is applied: one run or two processes (half the fleet each), counting in the process or in EC2. */
type Variant = "in-process" | "one run" | "two runs in-process" | "two runs";

/** Half of the fleet each in two processes of their own, started at the same instant; the failures. */
async function applyInTwoRuns(
  endpoint: string,
  ids: string[],
  maxUnavailable: number,
  acrossRuns: boolean,
): Promise<number> {
  const script = path.join(__dirname, "group-run.js");
  const shares = [ids.filter((_, i) => i % 2 === 0), ids.filter((_, i) => i % 2 === 1)];
  const runs = shares.map((share) => {
    const child = spawn(
      process.execPath,
      [script, endpoint, String(maxUnavailable), acrossRuns ? "across" : "local", JSON.stringify(share)],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    let stdout = "";
    const ready = new Promise<void>((resolve) =>
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk;
        if (stdout.startsWith("ready\n")) resolve();
      }),
    );
    const failed = new Promise<number>((resolve) =>
      child.on("close", () => resolve(Number(stdout.trim().split("\n").pop() ?? share.length))),
    );
    return { child, ready, failed };
  });
  await Promise.all(runs.map((r) => r.ready));
  const startAt = Date.now() + 100;
  for (const r of runs) r.child.stdin.end(String(startAt));
  const failed = await Promise.all(runs.map((r) => r.failed));
  return failed.reduce((a, b) => a + b, 0);
}

async function runOnce(options: GroupCountOptions, variant: Variant): Promise<Run> {
  const emulator = await startEmulator();
  try {
    const ids = Array.from({ length: options.instances }, () =>
      emulator.addInstance({
        instanceType: "m8i.large",
        nestedVirtualization: "disabled",
        stoppingMs: options.stoppingMs,
        pendingMs: options.pendingMs,
      }),
    );
    let started = Date.now();
    let failed: number;
    if (variant === "two runs" || variant === "two runs in-process") {
      failed = await applyInTwoRuns(emulator.endpoint, ids, options.maxUnavailable, variant === "two runs");
      // The processes' start-up is not the count's cost: time from the instant both began.
      started = emulator.calls.find((c) => c.action === "DescribeInstances")?.at ?? started;
    } else {
      const engine = createEngine({
        session: Session.open({ endpoint: emulator.endpoint, region: "us-east-1" }),
        groupCountAcrossRuns: variant === "one run",
      });
      started = Date.now();
      const results = await Promise.allSettled(
        ids.map((id) =>
          engine.apply({ ...desiredFor(id), rolloutGroup: "bench", maxUnavailable: options.maxUnavailable }),
        ),
      );
      failed = results.filter((r) => r.status === "rejected").length;
    }
    const wallMs = Date.now() - started;
    const counts = countCalls(emulator.calls);
    return {
      claimToReadBackMs: claimToReadBack(emulator.calls),
      wallMs,
      requests: counts.total,
      describeInstances: counts.byAction.DescribeInstances ?? 0,
      failed,
      mostDown: mostNotRunningAtOnce(emulator.stateHistory(ids)),
      tagsLeft: ids.filter((id) =>
        [JOURNAL_TAG_KEY, GROUP_TAG_KEY, SLOT_TAG_KEY].some((key) => emulator.instance(id).tags[key] !== undefined),
      ).length,
    };
  } finally {
    await emulator.close();
  }
}

const hasValue = (params: Record<string, string>, value: string) => Object.values(params).includes(value);

/**
 * The eventual-consistency window of the count: a claim of another run that reaches DescribeInstances
 * later than this after its own write is missed by that read-back. Measured per claim from the log.
 */
function claimToReadBack(calls: readonly CallRecord[]): number[] {
  const claims = calls.filter((c) => c.action === "CreateTags" && !c.dryRun && hasValue(c.params, GROUP_TAG_KEY));
  const reads = calls.filter((c) => c.action === "DescribeInstances" && hasValue(c.params, `tag:${GROUP_TAG_KEY}`));
  return claims.flatMap((claim) => {
    const read = reads.find((r) => r.seq > claim.seq);
    return read ? [read.at - claim.at] : [];
  });
}

export async function groupCountTable(options: GroupCountOptions): Promise<string[]> {
  const variants: Variant[] = ["in-process", "one run", "two runs in-process", "two runs"];
  const runs = new Map<Variant, Run[]>(variants.map((v) => [v, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (const variant of variants) {
      const run = await runOnce(options, variant);
      runs.get(variant)?.push(run);
      progress(`group count round ${round + 1}, ${variant}: ${seconds(run.wallMs)} s, ${run.requests} requests`);
    }
  }
  const wavesOf = (instancesPerRun: number) => Math.ceil(instancesPerRun / options.maxUnavailable);
  const figures = (name: string, variant: Variant, waves: number) => {
    const of = runs.get(variant) ?? [];
    const wall = median(of.map((r) => r.wallMs));
    const requests = median(of.map((r) => r.requests));
    return {
      wall,
      requests,
      perWave: wall / waves,
      line: `| ${name} | ${waves} | ${seconds(wall)} | ${seconds(wall / waves)} | ${requests} | ${(requests / options.instances).toFixed(2)} | ${median(of.map((r) => r.describeInstances))} | ${Math.max(...of.map((r) => r.mostDown))} | ${of.reduce((n, r) => n + r.failed, 0)} | ${of.reduce((n, r) => n + r.tagsLeft, 0)} |`,
    };
  };
  const all = options.instances;
  const oneLocal = figures("one run, counted in the process only", "in-process", wavesOf(all));
  const oneShared = figures("one run, counted in EC2 (tags, the group's DescribeInstances)", "one run", wavesOf(all));
  // Without the count across runs each process bounds only itself: twice the instances down, half the waves.
  const twoLocal = figures(
    "two processes, half the fleet each, each counted in its process",
    "two runs in-process",
    wavesOf(all / 2),
  );
  const twoShared = figures("two processes, half the fleet each, counted in EC2", "two runs", wavesOf(all));
  const window = [...(runs.get("one run") ?? []), ...(runs.get("two runs") ?? [])].flatMap((r) => r.claimToReadBackMs);
  const cost = (shared: typeof oneShared, local: typeof oneLocal) =>
    `${((shared.requests - local.requests) / all).toFixed(2)} extra requests per instance, ${seconds(shared.perWave - local.perWave)} s extra wall time per wave`;
  return [
    `${all} instances in one rollout group, \`maxUnavailable\` ${options.maxUnavailable}, stop ${seconds(options.stoppingMs, 1)} s, start ${seconds(options.pendingMs, 1)} s; medians of ${options.rounds} rounds, the variants alternating. Two processes: wall time from the first EC2 call (Node start-up excluded).`,
    "",
    "| group count | waves | wall s | per wave s | EC2 requests | requests / instance | DescribeInstances | most down at once | failed | tags left |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    oneLocal.line,
    oneShared.line,
    twoLocal.line,
    twoShared.line,
    "",
    `Cost of the count across runs (target: ≤ 0.5 request per instance, ≤ 0.3 s per wave): one run ${cost(oneShared, oneLocal)}; two runs sharing the group, against the same two runs each counting alone (which then let ${Math.max(...(runs.get("two runs in-process") ?? []).map((r) => r.mostDown))} down at once), ${cost(twoShared, twoLocal)}.`,
    `Window of the count (a claim's CreateTags to its group read-back, ${window.length} claims): median ${window.length ? median(window).toFixed(0) : "-"} ms, max ${window.length ? Math.max(...window).toFixed(0) : "-"} ms.`,
  ];
}
