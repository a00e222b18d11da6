import type { AutoScalingGateway } from "./auto-scaling-gateway";
import type { InstanceTypes } from "./finders";
import type { Ec2Gateway } from "./gateway";
import type { Session } from "./session";
import type { SsmGateway } from "./ssm-gateway";
import type { StepKind } from "./types";

/** A step of the cycle, or waiting for another run's cycle on the instance to end. */
export type ProgressPhase = StepKind | "wait-other-run";

/** What every operation of one engine works with: its session's gateways and the engine's settings. */
export interface EngineContext {
  session: Session;
  gateway: Ec2Gateway;
  types: InstanceTypes;
  /** Made on first use: only Auto Scaling members need it. */
  autoScaling: () => AutoScalingGateway;
  /** Made on first use: only verifyInGuest needs it. */
  ssm: () => SsmGateway;
  log: (line: string) => void;
  pollIntervalMs: number;
  claimSettleMs: number | undefined;
  retryFailedCycle: boolean;
  progress: ((instanceId: string, phase: ProgressPhase) => void) | undefined;
  groupCountAcrossRuns: boolean;
}
