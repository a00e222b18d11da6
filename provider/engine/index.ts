/** The engine: reads instance facts, plans, and runs the cycle. No Pulumi or Terraform here. */
export * from "./types";
export * from "./errors";
export * from "./inputs";
export * from "./schema";
export {
  createEngine,
  type Engine,
  type EngineOptions,
  type Inspection,
  type AppliedState,
  type ApplyOptions,
  type PermittedActions,
  type InstanceDetails,
  type ProgressPhase,
} from "./engine";
export { planCycle, actionsOf, WINDOWS_MAX_VCPUS } from "./plan";
export { outageWarning } from "./outage";
export { HealthGateError } from "./health-gate";
export { GuestCheckFailedError, LINUX_CHECK, WINDOWS_CHECK } from "./guest-check";
export { SsmGateway } from "./ssm-gateway";
export { RolloutHaltedError, forgetRolloutGroups } from "./rollout";
export { Ec2Gateway, PERMISSION_TTL_MS, type MutatingAction } from "./gateway";
export { GROUP_TAG_KEY, SLOT_TAG_KEY } from "./group-slots";
export { JOURNAL_TAG_KEY } from "./journal";
export { AUTO_SCALING_GROUP_TAG, findInstanceIds } from "./finders";
export { RunControl } from "./run-control";
export { ConflictingApplyError } from "./instance-lock";
export { Declarations, DuplicateDeclarationError, type Declaration, type DeclarationWording } from "./duplicates";
export {
  FAILED_CYCLE_TAG_KEY,
  FAILED_CYCLE_HOLD_MS,
  RETRY_FAILED_CYCLE_ENV,
} from "./failed-cycle";
export { DOWNTIME_RETRY_WINDOW_MS } from "./cycle";
export { AutoScalingGateway, type GroupMembership } from "./auto-scaling-gateway";
export { StandbyError } from "./standby";
export { decodeJournal, encodeJournal } from "./journal";
export { StartCapacityError, CAPACITY_ERROR_CODE, CAPACITY_STATE_REASON } from "./capacity";
