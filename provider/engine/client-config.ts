import { FleetRetryStrategy } from "./retry";
import type { AwsConnection } from "./types";

/** What every gateway gives its AWS SDK client. */
export interface ClientConfig {
  region?: string;
  profile?: string;
  endpoint?: string;
  retryStrategy: FleetRetryStrategy;
}

/**
 * The settings of a gateway's SDK client for a connection: its region, profile and `endpoint` where
 * given (the connection's by default; undefined leaves it to the SDK), and the fleet retry strategy.
 */
export function clientConfig(
  connection: AwsConnection,
  retryStrategy = FleetRetryStrategy.fromEnvironment(),
  endpoint = connection.endpoint,
): ClientConfig {
  return {
    ...(connection.region ? { region: connection.region } : {}),
    ...(connection.profile ? { profile: connection.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
    retryStrategy,
  };
}
