import type { AwsConnection } from "../engine/types";
import { type EngineSource, engineSource } from "../service/engine-source";

/**
 * How the Terraform front end reaches the engine: the resource service's engines, and the region
 * the AWS SDK would use. Both load the AWS SDK on first use, not at start-up: Terraform starts the
 * provider several times per command, and `terraform validate` never needs EC2 at all. Tests
 * substitute a fake.
 */
export interface EngineAccess {
  engine: EngineSource;
  /** The region the AWS SDK would use for this connection (configuration only, no network). */
  region(connection: AwsConnection): Promise<string | undefined>;
}

export function engineAccess(log: (line: string) => void): EngineAccess {
  const regions = new Map<string, Promise<string | undefined>>();
  return {
    engine: engineSource(log),
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
