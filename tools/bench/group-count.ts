// What a rollout group's count across runs costs: the same fleet in one group, applied through one
// engine with the count kept in EC2 (group and slot tags, the group's filtered DescribeInstances per
// decision) and with the count kept in the process only. Extra requests per instance, extra wall
// time per wave (a wave: `maxUnavailable` instances out of service together).

import { type CallRecord, mostNotRunningAtOnce, startEmulator } from "../../emulator";
import { createEngine, GROUP_TAG_KEY, JOURNAL_TAG_KEY, SLOT_TAG_KEY } from "../../provider/engine";
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

async function runOnce(options: GroupCountOptions, acrossRuns: boolean): Promise<Run> {
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
    const engine = createEngine({
      connection: { endpoint: emulator.endpoint, region: "us-east-1" },
      groupCountAcrossRuns: acrossRuns,
    });
    const started = Date.now();
    const results = await Promise.allSettled(
      ids.map((id) =>
        engine.apply({ ...desiredFor(id), rolloutGroup: "bench", maxUnavailable: options.maxUnavailable }),
      ),
    );
    const wallMs = Date.now() - started;
    const counts = countCalls(emulator.calls);
    return {
      claimToReadBackMs: claimToReadBack(emulator.calls),
      wallMs,
      requests: counts.total,
      describeInstances: counts.byAction.DescribeInstances ?? 0,
      failed: results.filter((r) => r.status === "rejected").length,
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
  const local: Run[] = [];
  const shared: Run[] = [];
  for (let round = 0; round < options.rounds; round++) {
    local.push(await runOnce(options, false));
    shared.push(await runOnce(options, true));
    progress(
      `group count round ${round + 1}: in-process ${seconds(local[round].wallMs)} s, across runs ${seconds(shared[round].wallMs)} s`,
    );
  }
  const waves = Math.ceil(options.instances / options.maxUnavailable);
  const row = (name: string, runs: Run[]) => {
    const wall = median(runs.map((r) => r.wallMs));
    const requests = median(runs.map((r) => r.requests));
    return {
      wall,
      requests,
      line: `| ${name} | ${seconds(wall)} | ${seconds(wall / waves)} | ${requests} | ${(requests / options.instances).toFixed(2)} | ${median(runs.map((r) => r.describeInstances))} | ${Math.max(...runs.map((r) => r.mostDown))} | ${runs.reduce((n, r) => n + r.failed, 0)} | ${runs.reduce((n, r) => n + r.tagsLeft, 0)} |`,
    };
  };
  const window = shared.flatMap((r) => r.claimToReadBackMs);
  const inProcess = row("count in the process only", local);
  const acrossRuns = row("count across runs (EC2 tags, the group's DescribeInstances)", shared);
  return [
    `${options.instances} instances in one rollout group, \`maxUnavailable\` ${options.maxUnavailable} (${waves} waves), stop ${seconds(options.stoppingMs, 1)} s, start ${seconds(options.pendingMs, 1)} s, one engine; medians of ${options.rounds} alternating rounds.`,
    "",
    "| group count | wall s | per wave s | EC2 requests | requests / instance | DescribeInstances | most down at once | failed | tags left |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    inProcess.line,
    acrossRuns.line,
    "",
    `Window of the count (a claim's CreateTags to its group read-back, ${window.length} claims): median ${window.length ? median(window).toFixed(0) : "-"} ms, max ${window.length ? Math.max(...window).toFixed(0) : "-"} ms.`,
    `Cost of the count across runs: ${((acrossRuns.requests - inProcess.requests) / options.instances).toFixed(2)} extra requests per instance, ${seconds((acrossRuns.wall - inProcess.wall) / waves)} s extra wall time per wave (target: ≤ 0.5 request per instance, ≤ 0.3 s per wave).`,
  ];
}
