// Deterministic address and id generation. Ephemeral public IPs come from a
// counter so a re-started instance always gets a different address.

import { randomBytes } from "node:crypto";

export function randomHex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString("hex")
    .slice(0, length);
}

export function randomResourceId(prefix: string): string {
  return `${prefix}-${randomHex(17)}`;
}

function ipFromCounter(firstOctets: string, counter: number): string {
  return `${firstOctets}.${Math.floor(counter / 250) % 250}.${(counter % 250) + 4}`;
}

export class AddressPool {
  private ephemeralCounter = 0;
  private elasticCounter = 0;
  private privateCounter = 0;

  nextEphemeralPublicIp(): string {
    return ipFromCounter("3.80", this.ephemeralCounter++);
  }

  nextElasticIp(): { publicIp: string; allocationId: string } {
    return { publicIp: ipFromCounter("52.1", this.elasticCounter++), allocationId: randomResourceId("eipalloc") };
  }

  nextPrivateIp(): string {
    return ipFromCounter("172.31", this.privateCounter++);
  }
}

export function publicDnsName(publicIp: string, region: string): string {
  const host = `ec2-${publicIp.replace(/\./g, "-")}`;
  return region === "us-east-1" ? `${host}.compute-1.amazonaws.com` : `${host}.${region}.compute.amazonaws.com`;
}

export function privateDnsName(privateIp: string, region: string): string {
  const host = `ip-${privateIp.replace(/\./g, "-")}`;
  return region === "us-east-1" ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}
