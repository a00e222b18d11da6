import type { Session } from "../engine/session";
import type { AwsConnection } from "../engine/types";
import { type EngineSource, engineSource } from "../service/engine-source";

/**
 * How the Terraform front end reaches the engine: the resource service's engines, and the region
 * the AWS SDK would use. Both load the AWS SDK on first use, not at start-up: Terraform starts the
 * provider several times per command, and `terraform validate` never needs EC2 at all. Tests
 * substitute a fake.
 */
export interface EngineAccess {
  /** Opens the provider's Session for its configured connection (ConfigureProvider). */
  configure(connection: AwsConnection): Promise<void>;
  /** An engine on the configured Session, or on its session for `connection` (a resource's own region). */
  engine: EngineSource;
  /** The region the AWS SDK would use for this connection (configuration only, no network). */
  region(connection: AwsConnection): Promise<string | undefined>;
}

export function engineAccess(log: (line: string) => void): EngineAccess {
  const regions = new Map<string, Promise<string | undefined>>();
  let session: Session | undefined;
  return {
    async configure(connection) {
      const { Session } = await import("../engine/session.js");
      // Configured again: a session of the same run (same run token and rollout groups).
      session = session ? session.forConnection(connection) : Session.open(connection);
    },
    engine: engineSource((connection) => {
      if (!session)
        throw new Error(
          "nestedvirt: a resource call came before ConfigureProvider; Terraform configures the provider first.",
        );
      return session.forConnection(connection);
    }, log),
    async region(connection) {
      if (connection.region) return connection.region;
      const key = JSON.stringify([connection.profile ?? "", connection.endpoint ?? ""]);
      let region = regions.get(key);
      if (!region) {
        region = import("../engine/gateway.js").then(({ Ec2Gateway }) =>
          Ec2Gateway.connect(connection)
            .region()
            .catch(() => undefined),
        );
        regions.set(key, region);
      }
      return await region;
    },
  };
}
