/**
 * One run of the group-count bench in a process of its own (a second stack, a CI job):
 *   node group-run.js <endpoint> <maxUnavailable> <across|local> '<["i-…", …]>'
 * (`local`: the group counted in this process only). Prints "ready" once loaded, reads from stdin the epoch ms at which to begin, applies every
 * instance at once through one engine in rollout group "bench", and prints the number that failed.
 */
import { createEngine, Session } from "../../provider/engine";
import { desiredFor } from "./common";

async function main(): Promise<void> {
  const [endpoint, maxUnavailable, count, idsJson] = process.argv.slice(2);
  const ids = JSON.parse(idsJson) as string[];
  const engine = createEngine({
    session: Session.open({ endpoint, region: "us-east-1" }),
    groupCountAcrossRuns: count === "across",
  });
  process.stdout.write("ready\n");
  const startAt = await new Promise<number>((resolve) => process.stdin.once("data", (c) => resolve(Number(String(c)))));
  process.stdin.pause();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
  const results = await Promise.allSettled(
    ids.map((id) => engine.apply({ ...desiredFor(id), rolloutGroup: "bench", maxUnavailable: Number(maxUnavailable) })),
  );
  for (const r of results) if (r.status === "rejected") process.stderr.write(`group-run: ${String(r.reason)}\n`);
  process.stdout.write(`${results.filter((r) => r.status === "rejected").length}\n`);
}

if (require.main === module) void main();
