import type { Ec2Emulator } from "../../../emulator";
import { waitFor } from "./wait-for";

/**
 * The first instance a run stops, once it has: a fault aimed at it lands among the first cycles of a
 * rollout group, so members are still queued behind it (a fixed instance may get the last slot).
 */
export async function firstStoppedInstance(emulator: Ec2Emulator, timeoutMs = 120_000): Promise<string> {
  const firstStop = () => emulator.calls.find((c) => c.action === "StopInstances" && !c.dryRun && !c.errorCode);
  await waitFor(() => firstStop() !== undefined, timeoutMs);
  return firstStop()?.instanceIds[0] ?? "";
}
