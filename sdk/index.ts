import * as pulumi from "@pulumi/pulumi";
import {
  type AttributeName,
  INPUT_ATTRIBUTES,
  type InputName,
  type NamesExactly,
  OUTPUT_ATTRIBUTES,
} from "../provider/engine/schema";
import type { CycleTimings, InstanceStateName, NestedVirtSetting, OnDeleteBehaviour } from "../provider/engine/types";
import { nestedVirtProvider } from "../provider/pulumi/dynamic-provider";
import { PREFLIGHT_PROPERTY } from "../provider/pulumi/properties";
import { preflightInProgram } from "./program-preflight";

export type { CycleTimings, InstanceStateName, NestedVirtSetting, OnDeleteBehaviour };

/** Bounds for the waits of a stop/modify/start cycle, as durations such as `"90s"` or `"10m"`. */
export interface EnablementTimeouts {
  /** How long to wait for the instance to reach `stopped` (default `"10m"`). */
  stop?: pulumi.Input<string>;
  /** How long to wait for the instance to be `running` again (default `"10m"`). */
  start?: pulumi.Input<string>;
  /** How long to wait for both status checks to be `ok`, with `waitForStatusChecks` (default `"10m"`). */
  healthy?: pulumi.Input<string>;
}

export interface NestedVirtEnablementArgs {
  /** ID of the EC2 instance, e.g. `runner.id`. Changing it replaces the resource. */
  instanceId: pulumi.Input<string>;
  /** Desired value of the `NestedVirtualization` CPU option (default `"enabled"`). */
  nestedVirtualization?: pulumi.Input<NestedVirtSetting>;
  /** AWS region of the instance (default: `aws:region` stack config, then AWS_REGION / the profile). */
  region?: pulumi.Input<string>;
  /** Deprecated: `autoScaling: "allow"`, which `true` means. */
  allowAutoScalingGroupMember?: pulumi.Input<boolean>;
  /**
   * What a cycle does with an Auto Scaling group member: `"refuse"` (default, a blocker), `"standby"`
   * (EnterStandby around the cycle, ExitStandby after it) or `"allow"` (cycle it as it is).
   */
  autoScaling?: pulumi.Input<"refuse" | "standby" | "allow">;
  /**
   * An instance with stop protection (`disableApiStop`): `"refuse"` (default) blocks the cycle;
   * `"lift"` turns the protection off for the cycle and on again once the instance runs again.
   */
  stopProtection?: pulumi.Input<"refuse" | "lift">;
  /**
   * What deleting the resource does: `"keep"` (default) leaves the CPU option as it is, with no
   * downtime; `"restore"` cycles the instance back to the setting it had before.
   */
  onDelete?: pulumi.Input<OnDeleteBehaviour>;
  /** Wait bounds for the cycle. */
  timeouts?: pulumi.Input<EnablementTimeouts>;
  /**
   * Health gate: after the start, wait until EC2's instance and system status checks are both `ok`
   * (DescribeInstanceStatus) before the cycle counts as done; `impaired` fails it. Default `false`.
   */
  waitForStatusChecks?: pulumi.Input<boolean>;
  /**
   * Proof inside the guest: after the start (and the health gate), check with SSM Run Command that
   * the guest can run a hypervisor (`/dev/kvm` and `vmx` on Linux, virtualization firmware enabled
   * on Windows); a failed check fails the update. Needs a managed SSM agent. Default `false`.
   */
  verifyInGuest?: pulumi.Input<boolean>;
  /**
   * Rollout group: enablements naming the same group in one `pulumi up` never have more than
   * `maxUnavailable` instances out of service at once; after a failed cycle, the group's cycles
   * that have not stopped their instance yet fail without stopping it.
   */
  rolloutGroup?: pulumi.Input<string>;
  /** The most instances of the rollout group out of service at once (default 1). */
  maxUnavailable?: pulumi.Input<number>;
}

/** The type token Pulumi gives this dynamic resource (its URN carries it). */
const NESTED_VIRT_TYPE = "pulumi-nodejs:dynamic/nestedvirt:NestedVirtEnablement";

/**
 * Declares the `NestedVirtualization` CPU option of an existing EC2 instance. `pulumi preview`
 * shows a pending change; `pulumi up` stops the instance, modifies it and starts it again
 * (a stopped instance is modified and left stopped).
 */
export class NestedVirtEnablement extends pulumi.dynamic.Resource {
  declare public readonly instanceId: pulumi.Output<string>;
  /** The live setting of the instance. */
  declare public readonly nestedVirtualization: pulumi.Output<NestedVirtSetting>;
  declare public readonly region: pulumi.Output<string | undefined>;
  declare public readonly allowAutoScalingGroupMember: pulumi.Output<boolean>;
  declare public readonly autoScaling: pulumi.Output<"refuse" | "standby" | "allow">;
  declare public readonly stopProtection: pulumi.Output<"refuse" | "lift">;
  declare public readonly onDelete: pulumi.Output<OnDeleteBehaviour>;
  declare public readonly timeouts: pulumi.Output<{ stop: string; start: string; healthy: string }>;
  declare public readonly waitForStatusChecks: pulumi.Output<boolean>;
  declare public readonly verifyInGuest: pulumi.Output<boolean>;
  declare public readonly rolloutGroup: pulumi.Output<string | undefined>;
  declare public readonly maxUnavailable: pulumi.Output<number>;
  /** Instance type, e.g. `m8i.large`. */
  declare public readonly instanceType: pulumi.Output<string>;
  /** Instance state after the last operation. */
  declare public readonly instanceState: pulumi.Output<InstanceStateName>;
  /** The setting the instance had before this resource first changed it. */
  declare public readonly previousNestedVirtualization: pulumi.Output<NestedVirtSetting>;
  /** What the last cycle did besides the CPU option (public IP change, data loss, VSM). */
  declare public readonly warnings: pulumi.Output<string[]>;
  /**
   * Timestamps and downtime of the last cycle, when it became healthy (gated) and how long it
   * waited for a slot in its rollout group; undefined when no cycle was needed.
   */
  declare public readonly lastCycle: pulumi.Output<CycleTimings | undefined>;

  /**
   * `opts.import` adopts the instance without touching it. Pulumi's engine reads an imported
   * resource without its inputs, which a dynamic provider needs to find its own code, so the
   * import is carried out by `create` instead: it fails rather than change the instance.
   */
  constructor(name: string, args: NestedVirtEnablementArgs, opts?: pulumi.CustomResourceOptions) {
    const { import: importId, ...resourceOptions } = opts ?? {};
    const aws = new pulumi.Config("aws");
    const region = args.region ?? aws.get("region");
    const profile = aws.get("profile");
    // Registration waits for the preflight (an input), so its warning is printed before any stop.
    const urn = pulumi.createUrn(name, NESTED_VIRT_TYPE, resourceOptions.parent);
    const preflight = importId
      ? undefined
      : pulumi
          .all([
            args.instanceId,
            args.nestedVirtualization,
            region,
            args.rolloutGroup,
            args.maxUnavailable,
            // pulumi.all types tuples of up to 8: the newer choices travel as one element.
            pulumi.all([args.autoScaling, args.allowAutoScalingGroupMember, args.verifyInGuest, args.stopProtection]),
          ])
          .apply(
            ([
              instanceId,
              nestedVirtualization,
              knownRegion,
              rolloutGroup,
              maxUnavailable,
              [autoScaling, allowAutoScalingGroupMember, verifyInGuest, stopProtection],
            ]) =>
              preflightInProgram(
                {
                  instanceId,
                  nestedVirtualization,
                  rolloutGroup,
                  maxUnavailable,
                  autoScaling,
                  allowAutoScalingGroupMember,
                  verifyInGuest,
                  stopProtection,
                },
                { region: knownRegion, profile },
                urn,
              ),
          );
    super(
      nestedVirtProvider,
      name,
      {
        ...Object.fromEntries(INPUT_ATTRIBUTES.map(({ name }) => [name, args[name as InputName]])),
        region,
        awsProfile: profile,
        [PREFLIGHT_PROPERTY]: preflight,
        importId,
        resourceName: name,
        ...Object.fromEntries(OUTPUT_ATTRIBUTES.map(({ name }) => [name, undefined])),
      },
      resourceOptions,
      "nestedvirt",
      "NestedVirtEnablement",
    );
  }
}

// The hand-written types above (kept for their doc comments) must list exactly the schema's attributes.
true satisfies NamesExactly<keyof NestedVirtEnablementArgs, InputName>;
true satisfies NamesExactly<Exclude<keyof NestedVirtEnablement, keyof pulumi.dynamic.Resource>, AttributeName>;
