import * as pulumi from "@pulumi/pulumi";
import { NestedVirtEnablement } from "nestedvirt";

// A user's program, driven by stack config so each end-to-end scenario is one stack.
const config = new pulumi.Config();
const instanceIds = config.requireObject<string[]>("instanceIds");
const nestedVirtualization = config.get("nestedVirtualization") as "enabled" | "disabled" | undefined;
const onDelete = config.get("onDelete") as "keep" | "restore" | undefined;
const importExisting = config.getBoolean("importExisting") ?? false;

const enablements = instanceIds.map(
  (instanceId, index) =>
    new NestedVirtEnablement(
      `kvm-${index}`,
      {
        instanceId,
        nestedVirtualization,
        onDelete,
        allowAutoScalingGroupMember: config.getBoolean("allowAutoScalingGroupMember"),
        autoScaling: config.get("autoScaling") as "refuse" | "standby" | "allow" | undefined,
        stopProtection: config.get("stopProtection") as "refuse" | "lift" | undefined,
        timeouts: { stop: "2m", start: "2m", healthy: "2m" },
        waitForStatusChecks: config.getBoolean("waitForStatusChecks"),
        verifyInGuest: config.getBoolean("verifyInGuest"),
        rolloutGroup: config.get("rolloutGroup"),
        maxUnavailable: config.getNumber("maxUnavailable"),
      },
      {
        retainOnDelete: config.getBoolean("retainOnDelete"),
        ...(importExisting ? { import: instanceId } : {}),
      },
    ),
);

const first = enablements[0];
export const nestedVirtualizationSetting = first.nestedVirtualization;
export const instanceState = first.instanceState;
export const instanceType = first.instanceType;
export const previousNestedVirtualization = first.previousNestedVirtualization;
export const warnings = first.warnings;
export const lastCycle = first.lastCycle;
