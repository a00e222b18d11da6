import type { AwsConnection } from "./types";

/**
 * One of something per connection (region, profile, endpoint), shared by every resource of the
 * process: a gateway, and with it one SDK client, one batcher and one poller. `endpointOf` says which
 * endpoint the thing would reach, variables included, so a process that switches endpoints gets a
 * new one.
 */
export class PerConnection<T> {
  private readonly byKey = new Map<string, T>();

  constructor(
    private readonly endpointOf: (connection: AwsConnection) => string,
    private readonly make: (connection: AwsConnection) => T,
  ) {}

  get(connection: AwsConnection): T {
    const key = JSON.stringify([connection.region ?? "", connection.profile ?? "", this.endpointOf(connection)]);
    let found = this.byKey.get(key);
    if (found === undefined) {
      found = this.make(connection);
      this.byKey.set(key, found);
    }
    return found;
  }
}
