import type { Ec2Gateway, MutatingAction } from "./gateway";

/**
 * Asks EC2, with DryRun, whether each action the cycle needs is permitted. Runs before the
 * instance is stopped, so a missing permission can never strand it half-way.
 */
export async function findDeniedActions(
  gateway: Ec2Gateway,
  instanceId: string,
  actions: readonly MutatingAction[],
): Promise<MutatingAction[]> {
  const verdicts = await Promise.all(actions.map((action) => gateway.isPermitted(action, instanceId)));
  return actions.filter((_, index) => !verdicts[index]);
}
