// Shared test helpers: a real EC2Client pointed at the emulator, and error assertions.

import { EC2Client, type EC2ClientConfig, EC2ServiceException } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { type Ec2Emulator, type EmulatorOptions, startEmulator } from "../../emulator";

// The SDK warns once per process about Node < 22; it is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export function ec2Client(emulator: Ec2Emulator, overrides: Partial<EC2ClientConfig> = {}): EC2Client {
  return new EC2Client({
    endpoint: emulator.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    ...overrides,
  });
}

/** A controllable clock for deterministic state-machine tests. */
export class ManualClock {
  constructor(public nowMs = Date.UTC(2026, 0, 1)) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export interface EmulatorHarness {
  emulator: Ec2Emulator;
  client: EC2Client;
}

/** Starts an emulator + client before each test and tears both down after. */
export function useEmulator(options: EmulatorOptions = {}): EmulatorHarness {
  const harness = {} as EmulatorHarness;
  beforeEach(async () => {
    harness.emulator = await startEmulator(options);
    harness.client = ec2Client(harness.emulator);
  });
  afterEach(async () => {
    harness.client.destroy();
    await harness.emulator.close();
  });
  return harness;
}

/** Awaits a rejected SDK call and checks the EC2 error code (and optionally message). */
export async function expectEc2Error(
  promise: Promise<unknown>,
  code: string,
  message?: string | RegExp,
): Promise<EC2ServiceException> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).to.be.instanceOf(EC2ServiceException);
  const error = caught as EC2ServiceException;
  expect(error.name).to.equal(code);
  if (typeof message === "string") expect(error.message).to.equal(message);
  if (message instanceof RegExp) expect(error.message).to.match(message);
  return error;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
