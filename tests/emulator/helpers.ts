// Shared helpers of the emulator tests: a manual clock and EC2 error assertions (the harness is shared with all tests).

import { EC2ServiceException } from "@aws-sdk/client-ec2";
import { expect } from "chai";

export { type EmulatorHarness, ec2Client, useEmulator } from "../support/emulated";

/** A controllable clock for deterministic state-machine tests. */
export class ManualClock {
  constructor(public nowMs = Date.UTC(2026, 0, 1)) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
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
