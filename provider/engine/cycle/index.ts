import type { Ec2Gateway } from "../gateway";
import type { CyclePlan, InstanceFacts } from "../types";
import { cycleContext, recordHeaderOf } from "./context";
import type { CycleOptions, CycleResult } from "./options";
import { CycleRecord } from "./record";
import { completeCycle, resultOf } from "./result";
import { recover, runForward } from "./runner";

export { ClaimLostError } from "./claim";
export { JournalCohort } from "./journal-cohort";
export type { CycleOptions, CycleResult } from "./options";
export { type CycleEntry, CycleRecord } from "./record";
export { planRecovery, type RaisedError, type RecoveryStep } from "./recovery";
export { CLAIM_SETTLE_MS, claimSettleFor, DOWNTIME_RETRY_WINDOW_MS, FRESH_FACTS_MS, stallAllowanceMs } from "./timing";

/**
 * Runs a plan's steps in order, each appending what it did to the cycle's record. If a step fails,
 * the recovery is planned from that record (planRecovery) and run by the same runner: an instance
 * the cycle stopped is started again before the error is raised, so a previously running instance
 * is never left stopped by a failure we can act on. Only an instance still stuck in "stopping"
 * cannot be started; its journal lets the next run finish.
 */
export async function executeCycle(
  gateway: Ec2Gateway,
  facts: InstanceFacts,
  plan: CyclePlan,
  options: CycleOptions,
): Promise<CycleResult> {
  const context = cycleContext(gateway, facts, plan, options);
  const record = new CycleRecord(recordHeaderOf(context));
  try {
    await runForward(context, record);
  } catch (error) {
    throw await recover(context, record, error);
  }
  await completeCycle(context, record);
  return resultOf(context, record);
}
