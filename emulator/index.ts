// In-process EC2 API emulator for tests: the real @aws-sdk/client-ec2 talks to it
// over HTTP via an endpoint override. See README.md in this folder.

export {
  GROUP_NAME_TAG,
  GroupLaunchTemplate,
  GroupSnapshot,
  LifecycleHookRecord,
  LifecycleState,
  MemberSnapshot,
  SeedGroup,
} from "./autoscaling/groups";
export { CallRecord, MUTATING_ACTIONS } from "./calls";
export { Architecture, InstanceTypeInfo, NESTED_VIRTUALIZATION_FEATURE } from "./catalogue";
export { ACCOUNT_ID } from "./constants";
export { Ec2Emulator, EmulatorOptions, startEmulator } from "./emulator";
export { FailNextOptions, Faults } from "./faults";
export {
  Durations,
  InstanceSnapshot,
  InstanceStateName,
  NestedVirtualization,
  PlatformKind,
  PublicIpKind,
  RootDeviceType,
  SeedInstance,
  STATE_CODES,
  StateReason,
  UnknownInstanceError,
} from "./instances";
export { SeedLaunchTemplateVersion } from "./launch-templates";
export { Permissions } from "./permissions";
export { GuestSettings } from "./ssm/guest";
export { SsmService } from "./ssm/service";
export { mostNotRunningAtOnce, NotRunningWindow, StateChange, StateHistory } from "./state-history";
export { CheckStatus, StatusCheckName, StatusCheckSettings, StatusChecks } from "./status-checks";
