import * as pulumi from "@pulumi/pulumi";
import { createEngine, outageWarning, parseInputs, type AwsConnection, type RawInputs } from "../provider/engine";

/**
 * Prints, attached to the resource, what its change will do to a running instance — in `pulumi
 * preview` and before the update stops anything. A dynamic provider cannot write to the CLI, but
 * the program can: this runs in the program, reads the instance (no mutating call) and logs.
 * Reading fails quietly: the provider's own check reports the same problem properly.
 */
export async function warnBeforeOutage(
  inputs: RawInputs,
  connection: AwsConnection,
  urn: pulumi.Output<string>,
): Promise<void> {
  const desired = parseInputs(inputs).desired;
  if (!desired) return;
  try {
    const { plan } = await createEngine({ connection }).inspect(desired);
    const message = outageWarning(plan, desired);
    // Not awaited: the log waits for the URN, which the engine resolves only after registration.
    if (message) void pulumi.log.warn(message, { urn } as unknown as pulumi.Resource);
  } catch {
    // The provider's check runs the same inspection and reports the error against the resource.
  }
}
