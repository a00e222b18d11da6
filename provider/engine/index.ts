/** The engine: reads instance facts, plans, and runs the cycle. No Pulumi or Terraform here. */

export { AutoScalingGateway, type GroupMembership } from "./auto-scaling-gateway";
export { CAPACITY_ERROR_CODE, CAPACITY_STATE_REASON, StartCapacityError } from "./capacity";
export { DOWNTIME_RETRY_WINDOW_MS } from "./cycle";
export { type Declaration, Declarations, type DeclarationWording, DuplicateDeclarationError } from "./duplicates";
export {
  type AppliedState,
  type ApplyOptions,
  createEngine,
  type Engine,
  type EngineOptions,
  type Inspection,
  type InstanceDetails,
  type PermittedActions,
  type ProgressPhase,
} from "./engine";
export * from "./errors";
export {
  FAILED_CYCLE_HOLD_MS,
  FAILED_CYCLE_TAG_KEY,
  RETRY_FAILED_CYCLE_ENV,
} from "./failed-cycle";
export { AUTO_SCALING_GROUP_TAG, findInstancesBy, type ListedInstance } from "./finders";
export { Ec2Gateway, type MutatingAction, PERMISSION_TTL_MS } from "./gateway";
export { GROUP_TAG_KEY, SLOT_TAG_KEY } from "./group-slots";
export { GuestCheckFailedError, LINUX_CHECK, WINDOWS_CHECK } from "./guest-check";
export { HealthGateError } from "./health-gate";
export * from "./inputs";
export { ConflictingApplyError } from "./instance-lock";
export { decodeJournal, encodeJournal, JOURNAL_TAG_KEY } from "./journal";
export { outageWarning } from "./outage";
export { actionsOf, planCycle, WINDOWS_MAX_VCPUS } from "./plan";
export { RolloutHaltedError } from "./rollout";
export { RunControl } from "./run-control";
export * from "./schema";
export { Session, type SessionOptions } from "./session";
export { SsmGateway } from "./ssm-gateway";
export { StandbyError } from "./standby";
export * from "./types";
