import type { DesiredState, InstanceFacts } from "../../provider/engine";

/** A running m8i.large with nested virtualization disabled, plus any overrides: the planner's usual input. */
export function factsOf(overrides: Partial<InstanceFacts> = {}): InstanceFacts {
  return {
    instanceId: "i-0123456789abcdef0",
    instanceType: "m8i.large",
    state: "running",
    nestedVirtualization: "disabled",
    spot: false,
    hibernationConfigured: false,
    rootDeviceType: "ebs",
    platform: "linux",
    tags: {},
    type: {
      instanceType: "m8i.large",
      supportsNestedVirtualization: true,
      defaultVCpus: 2,
      instanceStorageSupported: false,
      instanceStorageGiB: 0,
    },
    ...overrides,
  };
}

export function desiredOf(overrides: Partial<DesiredState> = {}): DesiredState {
  return {
    instanceId: "i-0123456789abcdef0",
    nestedVirtualization: "enabled",
    allowAutoScalingGroupMember: false,
    autoScaling: "refuse",
    stopProtection: "refuse",
    onDelete: "keep",
    timeouts: { stopSeconds: 600, startSeconds: 600, healthySeconds: 600 },
    waitForStatusChecks: false,
    verifyInGuest: false,
    maxUnavailable: 1,
    ...overrides,
  };
}
