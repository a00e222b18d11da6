import { EC2Client, type EC2ClientConfig } from "@aws-sdk/client-ec2";
import { type Ec2Emulator, type EmulatorOptions, type SeedInstance, startEmulator } from "../../emulator";
import { createEngine, type DesiredState, type Engine, Session } from "../../provider/engine";
import { desiredOf } from "./facts";

// The SDK warns once per process about Node < 22; it is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** Transitions short enough for fast tests, long enough that waits really poll. */
export const FAST_TRANSITIONS: EmulatorOptions = { stoppingMs: 60, pendingMs: 60 };

/** A real EC2Client pointed at the emulator. */
export function ec2Client(emulator: Ec2Emulator, overrides: Partial<EC2ClientConfig> = {}): EC2Client {
  return new EC2Client({
    endpoint: emulator.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    ...overrides,
  });
}

export interface EmulatorHarness {
  readonly emulator: Ec2Emulator;
  /** An EC2Client for the emulator, made on first use. */
  readonly client: EC2Client;
  /**
   * This test's Session with the emulator, as a front end opens one at configure: fresh for every
   * test, so no test sees another's locks, groups or gateways.
   */
  readonly session: Session;
  /** An engine on the test's session, polling every 20 ms. */
  engine(): Engine;
}

/** Starts a fresh emulator before each test and tears it (and its client) down afterwards. */
export function useEmulator(options: EmulatorOptions = {}): EmulatorHarness {
  let current: Ec2Emulator | undefined;
  let client: EC2Client | undefined;
  let session: Session | undefined;
  const started = (): Ec2Emulator => {
    if (!current) throw new Error("emulator not started");
    return current;
  };
  beforeEach(async () => {
    current = await startEmulator(options);
  });
  afterEach(async () => {
    client?.destroy();
    client = undefined;
    session = undefined;
    await current?.close();
    current = undefined;
  });
  return {
    get emulator() {
      return started();
    },
    get client() {
      client ??= ec2Client(started());
      return client;
    },
    get session() {
      session ??= Session.open({ endpoint: started().endpoint, region: "us-east-1" });
      return session;
    },
    engine() {
      return createEngine({ session: this.session, pollIntervalMs: 20 });
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
