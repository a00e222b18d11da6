import { BlockedError, NestedVirtError } from "./errors";
import { findInstanceFacts } from "./finders";
import { Ec2Gateway } from "./gateway";
import { actionsOf, planCycle } from "./plan";
import { findDeniedActions } from "./preflight";
import { executeCycle } from "./cycle";
import { rolloutOf } from "./rollout";
import { pollIntervalFromEnvironment } from "./waiters";
import type {
  AwsConnection,
  CyclePlan,
  DesiredState,
  EnablementState,
  InstanceFacts,
  NestedVirtSetting,
} from "./types";

export interface EngineOptions {
  connection?: AwsConnection;
  /** Progress lines for people (`stop i-…`, `wait until … is running`). */
  log?: (line: string) => void;
  /** Waiter polling; defaults to NESTEDVIRT_POLL_INTERVAL_MS or 5 s. */
  pollIntervalMs?: number;
  /** Reuse a gateway (tests, or a front end that serves many resources). */
  gateway?: Ec2Gateway;
}

export interface Inspection {
  plan: CyclePlan;
  /** The instance as it is now; undefined when it does not exist. */
  current?: EnablementState;
}

export interface AppliedState extends EnablementState {
  /** The setting the instance had before this apply changed anything. */
  previousNestedVirtualization: NestedVirtSetting;
}

export interface Engine {
  /** Read-only: facts and plan, no mutating EC2 call. DryRun checks only when asked. */
  inspect(desired: DesiredState, options?: { checkPermissions?: boolean }): Promise<Inspection>;
  /** Brings the instance to the desired setting, or throws a typed error having changed nothing. */
  apply(desired: DesiredState): Promise<AppliedState>;
  /**
   * Takes an instance under management without touching it (import): fails when it does not
   * already have the desired setting, or carries an interrupted cycle.
   */
  adopt(desired: DesiredState): Promise<AppliedState>;
  /** The instance's live setting; undefined when it no longer exists (or is terminated). */
  read(instanceId: string): Promise<EnablementState | undefined>;
  /** Honours `desired.onDelete`: `keep` makes no EC2 call; `restore` cycles back to `previousSetting`. */
  remove(desired: DesiredState, previousSetting?: NestedVirtSetting): Promise<void>;
}

export function stateOf(facts: InstanceFacts, warnings: string[] = []): EnablementState {
  return {
    instanceId: facts.instanceId,
    nestedVirtualization: facts.nestedVirtualization,
    instanceType: facts.instanceType,
    instanceState: facts.state,
    warnings,
  };
}

/** A terminated (or terminating) instance reads as deleted: there is nothing left to manage. */
function isGone(facts: InstanceFacts): boolean {
  return facts.state === "terminated" || facts.state === "shutting-down";
}

const gateways = new Map<string, Ec2Gateway>();

/** One gateway (and so one SDK client and one type cache) per connection, shared by all resources. */
function gatewayFor(connection: AwsConnection): Ec2Gateway {
  // The endpoint variables are part of the key so a process that switches endpoints gets a new client.
  const endpoint = connection.endpoint ?? process.env.AWS_ENDPOINT_URL_EC2 ?? process.env.AWS_ENDPOINT_URL ?? "";
  const key = JSON.stringify([connection.region ?? "", connection.profile ?? "", endpoint]);
  let gateway = gateways.get(key);
  if (!gateway) {
    gateway = Ec2Gateway.connect(connection);
    gateways.set(key, gateway);
  }
  return gateway;
}

export function createEngine(options: EngineOptions = {}): Engine {
  const gateway = options.gateway ?? gatewayFor(options.connection ?? {});
  const log = options.log ?? (() => undefined);
  const pollIntervalMs = options.pollIntervalMs ?? pollIntervalFromEnvironment();

  async function regionName(): Promise<string | undefined> {
    try {
      return await gateway.region();
    } catch {
      return undefined;
    }
  }

  async function planFor(desired: DesiredState, checkPermissions: boolean, known?: InstanceFacts) {
    const facts = known ?? (await findInstanceFacts(gateway, desired.instanceId));
    const region = facts ? undefined : await regionName();
    let plan = planCycle(facts, desired, { region });
    if (checkPermissions && facts && plan.steps.length > 0) {
      const deniedActions = await findDeniedActions(gateway, desired.instanceId, actionsOf(plan));
      if (deniedActions.length > 0) plan = planCycle(facts, desired, { deniedActions });
    }
    return { facts, plan };
  }

  /** `known` spares a second DescribeInstances when the caller has just read the instance. */
  async function apply(desired: DesiredState, known?: InstanceFacts): Promise<AppliedState> {
    const { facts, plan } = await planFor(desired, true, known);
    if (!facts) throw new BlockedError(desired.instanceId, plan.blockers);
    const previous = facts.journal?.from ?? facts.nestedVirtualization;
    // A blocked plan may still carry steps: restoring an interrupted cycle's run state comes first.
    const record = await executeCycle(gateway, facts, plan, {
      stopTimeoutSeconds: desired.timeouts.stopSeconds,
      startTimeoutSeconds: desired.timeouts.startSeconds,
      healthyTimeoutSeconds: desired.timeouts.healthySeconds,
      rollout: rolloutOf(desired),
      pollIntervalMs,
      log,
    });
    if (plan.blockers.length > 0) throw new BlockedError(desired.instanceId, plan.blockers);
    const after = plan.steps.length > 0 ? await findInstanceFacts(gateway, desired.instanceId) : facts;
    const state = stateOf(
      after ?? facts,
      plan.warnings.map((w) => w.message),
    );
    return {
      ...state,
      previousNestedVirtualization: previous,
      ...(record.timings ? { lastCycle: record.timings } : {}),
    };
  }

  return {
    async inspect(desired, inspectOptions = {}) {
      const { facts, plan } = await planFor(desired, inspectOptions.checkPermissions === true);
      return { plan, ...(facts ? { current: stateOf(facts) } : {}) };
    },
    apply: (desired) => apply(desired),
    async adopt(desired) {
      const { facts, plan } = await planFor(desired, false);
      if (!facts || plan.blockers.length > 0) throw new BlockedError(desired.instanceId, plan.blockers);
      if (plan.steps.length > 0) {
        throw new NestedVirtError(
          "ImportWouldChange",
          `Instance ${desired.instanceId} has NestedVirtualization=${facts.nestedVirtualization}${facts.journal ? " and an interrupted cycle" : ""}; importing it as "${desired.nestedVirtualization}" would change it. Set nestedVirtualization to "${facts.nestedVirtualization}" to import it as it is, or remove the import option to let the update change it.`,
          desired.instanceId,
        );
      }
      return { ...stateOf(facts), previousNestedVirtualization: facts.nestedVirtualization };
    },
    async read(instanceId) {
      const facts = await findInstanceFacts(gateway, instanceId);
      return facts && !isGone(facts) ? stateOf(facts) : undefined;
    },
    async remove(desired, previousSetting) {
      if (desired.onDelete === "keep" || !previousSetting) return;
      const facts = await findInstanceFacts(gateway, desired.instanceId);
      if (!facts || isGone(facts)) return;
      await apply({ ...desired, nestedVirtualization: previousSetting }, facts);
    },
  };
}
