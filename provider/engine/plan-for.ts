import type { EngineContext } from "./engine-context";
import { LookupFailedError, NestedVirtError } from "./errors";
import { findInstanceFacts } from "./finders";
import type { MutatingAction } from "./gateway";
import { guestAgentBlockers } from "./guest-check";
import { checkGroup } from "./launch-template-check";
import { actionsOf, type PlanContext, planCycle } from "./plan";
import { preflightCycle } from "./preflight";
import type { CyclePlan, DesiredState, InstanceFacts } from "./types";

/** Which reads and DryRuns back the plan: none, the plan's actions, or those and the stop-protection attribute. */
export type PlanChecks = "none" | "permissions" | "with-stop-protection";

export interface PermittedActions {
  checkedAt: number;
  actions: readonly MutatingAction[];
}

export interface PlannedInstance {
  facts: InstanceFacts | undefined;
  plan: CyclePlan;
  permitted?: PermittedActions;
}

/** A terminated (or terminating) instance reads as deleted: there is nothing left to manage. */
export function isGone(facts: InstanceFacts): boolean {
  return facts.state === "terminated" || facts.state === "shutting-down";
}

/**
 * Facts and plan; `checks` adds the preflight: DryRuns of the plan's actions, and for previews
 * and plans the stop-protection attribute as well (an apply learns it from StopInstances).
 */
export async function planFor(
  engine: EngineContext,
  desired: DesiredState,
  checks: PlanChecks,
  known?: InstanceFacts,
  context: Pick<PlanContext, "takeOver" | "runToken"> = {},
): Promise<PlannedInstance> {
  const facts =
    known ??
    (await findInstanceFacts(engine.gateway, engine.types, desired.instanceId).catch((error: unknown) => {
      throw error instanceof NestedVirtError ? error : new LookupFailedError(desired.instanceId, error);
    }));
  const region = facts ? undefined : await engine.gateway.region().catch(() => undefined);
  const base: PlanContext = { region, now: Date.now(), retryFailedCycle: engine.retryFailedCycle, ...context };
  let plan = planCycle(facts, desired, base);
  if (facts?.autoScalingGroupName && checks !== "none" && !isGone(facts)) {
    const standby = plan.steps.some((s) => s.kind === "enter-standby");
    const { gateway, autoScaling } = engine;
    base.group = await checkGroup(
      gateway,
      autoScaling(),
      facts.instanceId,
      facts.autoScalingGroupName,
      desired,
      standby,
    );
    plan = planCycle(facts, desired, base);
  }
  if (checks === "none" || !facts || plan.steps.length === 0) return { facts, plan };
  return await preflighted(engine, desired, facts, plan, base, checks);
}

/** The plan again with what the DryRuns (and the guest agent's read) found, and the actions EC2 permits. */
async function preflighted(
  engine: EngineContext,
  desired: DesiredState,
  facts: InstanceFacts,
  planned: CyclePlan,
  base: PlanContext,
  checks: Exclude<PlanChecks, "none">,
): Promise<PlannedInstance> {
  let plan = planned;
  const checkedAt = Date.now();
  const actions = actionsOf(plan);
  const findings = await preflightCycle(engine.gateway, desired.instanceId, actions, {
    readStopProtection: checks === "with-stop-protection",
  });
  if (findings.deniedActions.length > 0 || findings.unperformable.length > 0 || findings.stopProtected)
    plan = planCycle(facts, desired, { ...base, ...findings });
  // Found protected with `stopProtection: lift`: the plan now lifts it, a call to DryRun as well.
  const added = actionsOf(plan).filter((a) => !actions.includes(a));
  if (added.length > 0) {
    const more = await preflightCycle(engine.gateway, desired.instanceId, added, { readStopProtection: false });
    findings.deniedActions.push(...more.deniedActions);
    findings.unperformable.push(...more.unperformable);
    actions.push(...added);
    if (more.deniedActions.length > 0 || more.unperformable.length > 0)
      plan = planCycle(facts, desired, { ...base, ...findings });
  }
  const refused = [...findings.deniedActions, ...findings.unperformable.map((u) => u.action)];
  const permitted = { checkedAt, actions: actions.filter((a) => !refused.includes(a)) };
  // verifyInGuest needs a managed agent: found out now, before anything is stopped (a real read: SSM has no DryRun).
  const guestBlockers = plan.steps.some((s) => s.kind === "verify-guest")
    ? await guestAgentBlockers(engine.ssm(), facts)
    : [];
  if (guestBlockers.length > 0) plan = planCycle(facts, desired, { ...base, ...findings, guestBlockers });
  return { facts, plan, permitted };
}
