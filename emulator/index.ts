// In-process EC2 API emulator for tests: the real @aws-sdk/client-ec2 talks to it
// over HTTP via an endpoint override. See README.md in this folder.

export { Ec2Emulator, EmulatorOptions, startEmulator } from "./emulator";
export { CallRecord, MUTATING_ACTIONS } from "./calls";
export { Architecture, InstanceTypeInfo, NESTED_VIRTUALIZATION_FEATURE } from "./catalogue";
export { FailNextOptions, Faults } from "./faults";
export {
  Durations,
  InstanceSnapshot,
  InstanceStateName,
  NestedVirtualization,
  PlatformKind,
  PublicIpKind,
  RootDeviceType,
  STATE_CODES,
  SeedInstance,
  StateReason,
  UnknownInstanceError,
} from "./instances";
export { Permissions } from "./permissions";
export { CheckStatus, StatusCheckName, StatusCheckSettings, StatusChecks } from "./status-checks";
export { NotRunningWindow, StateChange, StateHistory, mostNotRunningAtOnce } from "./state-history";
export { ACCOUNT_ID } from "./constants";
export {
  GROUP_NAME_TAG,
  GroupLaunchTemplate,
  GroupSnapshot,
  LifecycleHookRecord,
  LifecycleState,
  MemberSnapshot,
  SeedGroup,
} from "./autoscaling/groups";
export { SeedLaunchTemplateVersion } from "./launch-templates";
export { GuestSettings } from "./ssm/guest";
export { SsmService } from "./ssm/service";
