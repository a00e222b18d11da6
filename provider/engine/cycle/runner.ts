import type { StepKind } from "../types";
import type { CycleContext } from "./context";
import { raisedError } from "./failure";
import { FORWARD_STEPS } from "./forward-steps";
import type { CycleRecord, Phase } from "./record";
import { planRecovery, type RecoveryKind, type RecoveryStep } from "./recovery";
import { runRecoveryStep } from "./recovery-steps";

/** Where a runner takes its steps from, and how it runs them. */
interface StepSource<S extends { kind: StepKind | RecoveryKind }> {
  phase: Phase;
  /** The next step (from the plan, or from the record as it grows); undefined when none is left. */
  next(): S | undefined;
  /** Runs a step; a string it returns (a setting read, a note) is kept in the record. */
  run(step: S): Promise<unknown>;
  /** Forward: a failure ends the run (the cycle recovers from it). Recovery: it is recorded and the plan made again. */
  stopOnFailure: boolean;
}

/** The one runner: each step is recorded as it begins and as it ends, done or failed. */
async function runSteps<S extends { kind: StepKind | RecoveryKind }>(
  context: CycleContext,
  record: CycleRecord,
  source: StepSource<S>,
): Promise<void> {
  const { phase } = source;
  for (let step = source.next(); step !== undefined; step = source.next()) {
    record.append({ kind: "began", phase, step: step.kind });
    try {
      const detail = await source.run(step);
      const kept = typeof detail === "string" ? { detail } : {};
      record.append({ kind: "done", phase, step: step.kind, at: Date.now(), ...kept });
    } catch (error) {
      const aborted = context.options.signal?.aborted === true;
      record.append({ kind: "failed", phase, step: step.kind, error, aborted });
      if (source.stopOnFailure) throw error;
    }
  }
}

/** Runs the plan's steps in order; the first that fails ends it with its error. */
export async function runForward(context: CycleContext, record: CycleRecord): Promise<void> {
  const steps = context.plan.steps[Symbol.iterator]();
  await runSteps(context, record, {
    phase: "forward",
    next: () => steps.next().value,
    run: async (step) => {
      context.options.log(step.description);
      context.options.onStep?.(step.kind);
      await FORWARD_STEPS[step.kind](context, record);
    },
    stopOnFailure: true,
  });
}

/** Recovers from `error` as planRecovery says, step by step; returns the error to raise. */
export async function recover(context: CycleContext, record: CycleRecord, error: unknown): Promise<unknown> {
  const first = (): RecoveryStep => planRecovery(context.facts, record, error)[0];
  await runSteps(context, record, {
    phase: "recovery",
    next: () => {
      const step = first();
      return step.kind === "raise" ? undefined : step;
    },
    run: (step) => runRecoveryStep(context, record, step, error),
    stopOnFailure: false,
  });
  const last = first();
  return raisedError(context, record, error, last.kind === "raise" ? last.error : "as-is");
}
