// Downtime when ModifyInstanceCpuOptions keeps failing with HTTP 500 after the stop: the cycle as it
// is now (the modify's retries bounded by DOWNTIME_RETRY_WINDOW_MS, then the restart), beside the
// modify as it was sent before (the client's standard budget of 25 attempts, the same retry strategy,
// no window) against a stopped instance, whose retry time was downtime as well.

import { EC2Client, ModifyInstanceCpuOptionsCommand } from "@aws-sdk/client-ec2";
import { DEFAULT_RETRY_DELAY_BASE, MAXIMUM_RETRY_DELAY } from "@smithy/util-retry";
import { type Ec2Emulator, startEmulator } from "../../emulator";
import { createEngine, DOWNTIME_RETRY_WINDOW_MS, Session } from "../../provider/engine";
import { FleetRetryStrategy, scopeRetriesByOperation } from "../../provider/engine/retry";
import { CREDENTIALS, desiredFor, median, progress, seconds } from "./common";

const MODIFY = "ModifyInstanceCpuOptions";
/** The attempt budget the gateway gives every call (AWS_MAX_ATTEMPTS unset). */
const STANDARD_ATTEMPTS = 25;

/** How long the instance was in each state, between its first stop and running again. */
function spans(emulator: Ec2Emulator, instanceId: string): { outOfServiceMs: number; stoppedMs: number } {
  const history = emulator.stateHistory([instanceId])[instanceId] ?? [];
  const at = (state: string, from = 0) => history.slice(from).find((entry) => entry.state === state);
  const stopping = history.findIndex((entry) => entry.state === "stopping");
  const stopped = history.findIndex((entry, i) => i > stopping && entry.state === "stopped");
  const pending = at("pending", stopped);
  const running = at("running", stopped);
  return {
    outOfServiceMs: (running?.at ?? Number.NaN) - (history[stopping]?.at ?? Number.NaN),
    stoppedMs: (pending?.at ?? Number.NaN) - (history[stopped]?.at ?? Number.NaN),
  };
}

/** Expected sum of the full-jitter delays between `attempts` attempts (each uniform in 0..cap). */
function expectedRetryDelayMs(attempts: number): number {
  let total = 0;
  for (let n = 0; n < attempts - 1; n++) total += Math.min(MAXIMUM_RETRY_DELAY, DEFAULT_RETRY_DELAY_BASE * 2 ** n) / 2;
  return total;
}

export async function failedModifyTable(options: { stoppingMs: number; pendingMs: number; samples: number }) {
  const emulator = await startEmulator();
  try {
    // After: the whole cycle through the engine; the modify answers 500 on every real attempt.
    const afterRuns: { outOfServiceMs: number; stoppedMs: number; attempts: number }[] = [];
    for (let i = 0; i < options.samples; i++) {
      const id = emulator.addInstance({ instanceType: "m8i.large", nestedVirtualization: "disabled", ...options });
      emulator.faults.failNext(MODIFY, "InternalError", undefined, 1_000_000, { dryRun: false, instanceId: id });
      const engine = createEngine({ session: Session.open({ endpoint: emulator.endpoint, region: "us-east-1" }) });
      await engine.apply(desiredFor(id)).then(
        () => progress("failed modify: the cycle unexpectedly succeeded"),
        () => undefined,
      );
      const attempts = emulator.calls.filter((c) => c.action === MODIFY && !c.dryRun && c.instanceIds.includes(id));
      afterRuns.push({ ...spans(emulator, id), attempts: attempts.length });
      progress(`failed modify, after: out of service ${seconds(afterRuns[i]?.outOfServiceMs ?? 0, 1)} s`);
    }

    // Before: the modify as the gateway sent it, every call with the standard budget, against
    // stopped instances (side by side: each call's jitter is its own).
    const client = new EC2Client({
      endpoint: emulator.endpoint,
      region: "us-east-1",
      credentials: CREDENTIALS,
      retryStrategy: new FleetRetryStrategy(STANDARD_ATTEMPTS),
    });
    scopeRetriesByOperation(client);
    const beforeRuns = await Promise.all(
      Array.from({ length: options.samples }, async () => {
        const id = emulator.addInstance({ instanceType: "m8i.large", state: "stopped" });
        emulator.faults.failNext(MODIFY, "InternalError", undefined, 1_000_000, { dryRun: false, instanceId: id });
        const started = Date.now();
        const error = await client
          .send(new ModifyInstanceCpuOptionsCommand({ InstanceId: id, NestedVirtualization: "enabled" }))
          .then(
            () => undefined,
            (e: { $metadata?: { attempts?: number } }) => e,
          );
        return { retriedMs: Date.now() - started, attempts: error?.$metadata?.attempts ?? 0 };
      }),
    );
    client.destroy();
    progress(`failed modify, before: retried ${beforeRuns.map((r) => seconds(r.retriedMs, 1)).join(", ")} s`);

    const stopStartMs = median(afterRuns.map((r) => r.outOfServiceMs - r.stoppedMs));
    const afterStopped = median(afterRuns.map((r) => r.stoppedMs));
    const beforeRetried = median(beforeRuns.map((r) => r.retriedMs));
    const range = (values: number[]) => `${seconds(Math.min(...values), 1)}–${seconds(Math.max(...values), 1)}`;
    return [
      `Modify answering HTTP 500 (InternalError) on every attempt after the stop; stop ${seconds(options.stoppingMs, 1)} s, start ${seconds(options.pendingMs, 1)} s, ${options.samples} samples, medians (ranges).`,
      "",
      "| code path | modify retried while stopped, s | modify attempts | instance stopped, s | out of service (stop → running), s |",
      "| --- | ---: | ---: | ---: | ---: |",
      `| before: standard budget (${STANDARD_ATTEMPTS} attempts, full jitter up to ${MAXIMUM_RETRY_DELAY / 1000} s; expected ${seconds(expectedRetryDelayMs(STANDARD_ATTEMPTS), 1)} s) | ${seconds(beforeRetried, 1)} (${range(beforeRuns.map((r) => r.retriedMs))}) | ${median(beforeRuns.map((r) => r.attempts))} | ≈ ${seconds(beforeRetried, 1)} | ≈ ${seconds(beforeRetried + stopStartMs, 1)} |`,
      `| after: ${DOWNTIME_RETRY_WINDOW_MS / 1000} s window while stopped, then the restart | ${seconds(afterStopped, 1)} (${range(afterRuns.map((r) => r.stoppedMs))}) | ${median(afterRuns.map((r) => r.attempts))} | ${seconds(afterStopped, 1)} | ${seconds(median(afterRuns.map((r) => r.outOfServiceMs)), 1)} (${range(afterRuns.map((r) => r.outOfServiceMs))}) |`,
      "",
      `- Before: ${seconds(beforeRetried + stopStartMs, 1)} s out of service, ${(beforeRetried / afterStopped).toFixed(1)}× the time stopped after. "Before" is the modify sent with the gateway's previous settings (the same retry strategy, ${STANDARD_ATTEMPTS} attempts, no window) to a stopped instance, plus the measured stop and start of the "after" runs (${seconds(stopStartMs, 1)} s): the time the old cycle spent retrying was downtime.`,
    ];
  } finally {
    await emulator.close();
  }
}
