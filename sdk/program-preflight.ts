import * as pulumi from "@pulumi/pulumi";
import { type AwsConnection, createEngine, outageWarning, parseInputs, type RawInputs } from "../provider/engine";
import { dynamicSession } from "../provider/pulumi/dynamic-sessions";
import { type PreflightRecord, preflightRecord } from "../provider/service/preflight-record";

/**
 * Looks at the instance from the program, before the resource is registered (no mutating call):
 * - prints, attached to the resource, what its change will do to a running instance — in `pulumi
 *   preview` and before the update stops anything (a dynamic provider cannot write to the CLI);
 * - returns the preflight (blockers, DryRun verdicts) for the provider's `check` and `create`,
 *   which then need not ask EC2 one resource at a time (see preflight-record.ts).
 * A failed look returns nothing: the provider's own check then looks, and reports the error.
 */
export async function preflightInProgram(
  inputs: RawInputs,
  connection: AwsConnection,
  urn: pulumi.Output<string>,
): Promise<PreflightRecord | undefined> {
  const desired = parseInputs(inputs).desired;
  if (!desired) return undefined;
  try {
    const inspection = await createEngine({ session: dynamicSession(connection) }).inspect(desired, {
      checkPermissions: true,
    });
    // Without downtime the outage warning is absent; what the group's launch template lacks still matters.
    const groupWarnings = inspection.plan.warnings
      .filter((w) => w.code === "launch-template-without-nested-virtualization")
      .map((w) => w.message);
    const message = outageWarning(inspection.plan, desired) ?? (groupWarnings.join("\n") || undefined);
    // Not awaited: the log waits for the URN, which the engine resolves only after registration.
    if (message) void pulumi.log.warn(message, { urn } as unknown as pulumi.Resource);
    return preflightRecord(desired, inspection);
  } catch {
    return undefined;
  }
}
