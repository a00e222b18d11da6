import * as pulumi from "@pulumi/pulumi";
import { NestedVirtEnablement } from "nestedvirt";

// The instance to prepare for KVM / Hyper-V guests. `npm run demo` sets it to an instance of the
// embedded EC2 emulator; against AWS, set it with `pulumi config set instanceId i-…`.
const config = new pulumi.Config();

const kvm = new NestedVirtEnablement("ci-runner-kvm", {
  instanceId: config.require("instanceId"),
  nestedVirtualization: config.get("nestedVirtualization") === "disabled" ? "disabled" : "enabled",
});

export const nestedVirtualization = kvm.nestedVirtualization;
export const instanceType = kvm.instanceType;
export const instanceState = kvm.instanceState;
export const previousNestedVirtualization = kvm.previousNestedVirtualization;
export const warnings = kvm.warnings;
export const lastCycle = kvm.lastCycle;
