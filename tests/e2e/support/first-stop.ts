import type { Ec2Emulator } from "../../../emulator";
import { waitFor } from "./wait-for";

/**
 * The first of `ids` that a run stops, once it has: a fault aimed at it lands among the first cycles
 * of a rollout group, so members are still queued behind it (a fixed instance may get the last slot).
 * Only `ids` count: the call log may still hold an earlier test's stops.
 */
export async function firstStoppedInstance(emulator: Ec2Emulator, ids: string[], timeoutMs = 120_000): Promise<string> {
  const firstStopped = () =>
    emulator.calls
      .filter((c) => c.action === "StopInstances" && !c.dryRun && !c.errorCode)
      .flatMap((c) => c.instanceIds)
      .find((id) => ids.includes(id));
  await waitFor(() => firstStopped() !== undefined, timeoutMs);
  return firstStopped() ?? "";
}
