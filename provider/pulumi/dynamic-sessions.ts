import { Session } from "../engine/session";
import type { AwsConnection } from "../engine/types";

/**
 * The dynamic provider's sessions. Only the dynamic shim keeps one here: Pulumi never configures a
 * dynamic provider, so its process (the provider host's handlers, or the program's preflight) has
 * no moment to open one and pass it. The first connection opens the run's session; the others are
 * its `forConnection` sessions (same run token and rollout groups). The plugin, Terraform and the
 * CLI open their Session at configure and pass it instead.
 */
let run: Session | undefined;

/** This process's session for the connection, opened on first use. */
export function dynamicSession(connection: AwsConnection): Session {
  run ??= Session.open(connection);
  return run.forConnection(connection);
}
