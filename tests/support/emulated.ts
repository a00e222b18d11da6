import { createEngine, type DesiredState, type Engine } from "../../provider/engine";
import { startEmulator, type Ec2Emulator, type SeedInstance } from "../../emulator";
import { desiredOf } from "./facts";

/** Starts a fresh emulator per test and tears it down afterwards; transitions take 60 ms. */
export function useEmulator(): { readonly emulator: Ec2Emulator; engine(): Engine } {
  let current: Ec2Emulator | undefined;
  beforeEach(async () => {
    current = await startEmulator({ stoppingMs: 60, pendingMs: 60 });
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    get emulator() {
      if (!current) throw new Error("emulator not started");
      return current;
    },
    engine() {
      if (!current) throw new Error("emulator not started");
      return createEngine({ connection: { endpoint: current.endpoint, region: "us-east-1" }, pollIntervalMs: 20 });
    },
  };
}

export function seeded(emulator: Ec2Emulator, seed: SeedInstance = {}, desired: Partial<DesiredState> = {}) {
  const instanceId = emulator.addInstance({
    instanceType: "m8i.large",
    state: "running",
    nestedVirtualization: "disabled",
    ...seed,
  });
  return { instanceId, desired: desiredOf({ instanceId, ...desired }) };
}

/** The emulator's log of mutating calls as `Action` names, in order. */
export function mutatingActions(emulator: Ec2Emulator): string[] {
  return emulator.mutatingCalls().map((c) => c.action);
}
