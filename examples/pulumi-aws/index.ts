import * as aws from "@pulumi/aws";
import { NestedVirtEnablement } from "nestedvirt";

// A CI runner that needs /dev/kvm: an M8i instance, then its CPU option declared next to it.
const ami = aws.ec2.getAmiOutput({
  mostRecent: true,
  owners: ["amazon"],
  filters: [{ name: "name", values: ["al2023-ami-2023.*-x86_64"] }],
});

const runner = new aws.ec2.Instance("ci-runner", {
  ami: ami.id,
  instanceType: "m8i.large",
  tags: { Name: "ci-runner" },
});

const kvm = new NestedVirtEnablement("ci-runner-kvm", {
  instanceId: runner.id,
  timeouts: { stop: "15m", start: "15m" },
});

export const runnerId = runner.id;
export const nestedVirtualization = kvm.nestedVirtualization;
export const downtimeSeconds = kvm.lastCycle.apply((c) => c?.downtimeSeconds ?? 0);
