import { randomUUID } from "node:crypto";
import type { Filter } from "@aws-sdk/client-ec2";
import { type AppliedState, createEngine, type Engine, type Inspection } from "../engine/engine";
import { BlockedError, CancelledError, NestedVirtError } from "../engine/errors";
import type { ListedInstance } from "../engine/finders";
import type { Ec2Gateway } from "../engine/gateway";
import type { RawInputs } from "../engine/inputs";
import { JOURNAL_TAG_KEY } from "../engine/journal";
import { RolloutHaltedError } from "../engine/rollout";
import type { RunControl } from "../engine/run-control";
import { Session } from "../engine/session";
import type { AwsConnection, DesiredState } from "../engine/types";
import type { Display } from "./display";
import { EXIT_CODES, type ExitCode, UsageError } from "./exit";
import { desiredFor } from "./options";
import { medianOf, ProgressBoard } from "./progress";
import {
  type CommandName,
  type Disruption,
  type InstanceAction,
  type InstanceReport,
  type InstanceResult,
  type Outcome,
  REPORT_SCHEMA_VERSION,
  type Report,
} from "./report";
import { describeSelection, type ResolvedTargets, resolveSelection, type TargetSelection } from "./targets";

export interface CommandContext {
  command: CommandName;
  connection: AwsConnection;
  display: Display;
  control: RunControl;
  /** Asks the person at the terminal; undefined when nobody is asked (`--yes`, or no terminal). */
  confirm?: (question: string) => Promise<boolean>;
}

interface Planned {
  desired: DesiredState;
  inspection: Inspection;
  report: InstanceReport;
}

/** One connection (one Session) per command; the engine reports each cycle step to whatever board is current. */
class CommandRun {
  readonly gateway: Ec2Gateway;
  readonly engine: Engine;
  board: ProgressBoard | undefined;
  constructor(connection: AwsConnection) {
    // Auto Scaling calls (--auto-scaling standby) go through the same session: same region and profile.
    const session = Session.open(connection);
    this.gateway = session.ec2;
    this.engine = createEngine({ session, progress: (id, phase) => this.board?.phase(id, phase) });
  }

  /** The region requests go to; none configured is a usage error, found before any request. */
  async region(): Promise<string> {
    try {
      return await this.gateway.region();
    } catch {
      throw new UsageError("No AWS region: pass --region, or set AWS_REGION or a region in the profile.");
    }
  }
}

function actionOf(inspection: Inspection): InstanceAction {
  const { plan } = inspection;
  if (plan.blockers.length > 0) return "blocked";
  if (plan.awaiting) return "wait-for-other-run";
  if (plan.steps.length === 0) return "none";
  if (inspection.details?.journal) return "resume";
  return plan.causesDowntime ? "cycle" : "modify";
}

function reportOf(inspection: Inspection): InstanceReport {
  const { plan, current, details } = inspection;
  const journal = details?.journal;
  return {
    instanceId: plan.instanceId,
    instanceType: current?.instanceType ?? null,
    state: current?.instanceState ?? null,
    nestedVirtualization: current?.nestedVirtualization ?? null,
    supported: details ? details.supportsNestedVirtualization : null,
    autoScalingGroup: details?.autoScalingGroupName ?? null,
    action: actionOf(inspection),
    result: null,
    steps: plan.steps.map((s) => s.description),
    warnings: plan.warnings.map((w) => ({ code: w.code, message: w.message })),
    blockers: plan.blockers.map((b) => ({ code: b.code, message: b.message })),
    cycleInFlight: journal
      ? {
          from: journal.from,
          to: journal.to,
          priorState: journal.priorState,
          startedAt: journal.startedAt,
          runToken: journal.runToken ?? null,
          leaseUntil: journal.leaseUntil ?? null,
          live: journal.leaseHeld,
        }
      : null,
    error: null,
    lastCycle: null,
  };
}

function disruptionOf(planned: readonly Planned[], desired: DesiredState | undefined): Disruption | null {
  if (!desired) return null;
  const stopping = planned.filter((p) => p.inspection.plan.causesDowntime).length;
  const { stopSeconds, startSeconds, healthySeconds } = desired.timeouts;
  return {
    instancesStopped: stopping,
    maxUnavailable: desired.maxUnavailable,
    waves: Math.ceil(stopping / desired.maxUnavailable),
    downtimePerWaveAtMostSeconds: stopSeconds + startSeconds + (desired.waitForStatusChecks ? healthySeconds : 0),
    observed: null,
  };
}

/** The report's disruption with what the run's finished cycles measured beside the plan's bound. */
function withObserved(report: Report, all: readonly Planned[]): Report {
  if (!report.disruption) return report;
  const downtimes = all
    .map((p) => p.report.lastCycle?.downtimeSeconds)
    .filter((d): d is number => d !== undefined && d > 0);
  const observed =
    downtimes.length === 0
      ? null
      : {
          cycles: downtimes.length,
          medianDowntimeSeconds: medianOf(downtimes),
          maxDowntimeSeconds: Math.max(...downtimes),
        };
  return { ...report, disruption: { ...report.disruption, observed } };
}

function baseReport(command: CommandName, region: string, nestedVirtualization: string | null): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    command,
    region,
    outcome: "done",
    exitCode: EXIT_CODES.done,
    nestedVirtualization,
    instances: [],
    disruption: null,
    interruptedAt: null,
    error: null,
  };
}

async function inspectAll(
  engine: Engine,
  desireds: readonly DesiredState[],
  checkPermissions: boolean,
  listed: ReadonlyMap<string, ListedInstance> = new Map(),
): Promise<Planned[]> {
  const inspections = await Promise.all(
    desireds.map((d) => {
      const known = listed.get(d.instanceId);
      return engine.inspect(d, { checkPermissions, ...(known ? { listed: known } : {}) });
    }),
  );
  return inspections.map((inspection, i) => ({ desired: desireds[i], inspection, report: reportOf(inspection) }));
}

/** The targets, or a usage error naming the selection and region when nothing matched. */
async function targetsOf(session: CommandRun, selection: TargetSelection, region: string): Promise<ResolvedTargets> {
  const targets = await resolveSelection(session.gateway, selection, region);
  if (targets.instanceIds.length === 0) {
    throw new UsageError(
      `No running, stopped, pending or stopping instance in region ${region} matches ${describeSelection(selection)}. Check the filters, the group name and --region.`,
    );
  }
  return targets;
}

/** Instances that are not there at all are a usage error, like a filter matching nothing. */
function throwIfAllMissing(planned: readonly Planned[], region: string): void {
  if (planned.length > 0 && planned.every((p) => p.report.blockers.some((b) => b.code === "instance-not-found"))) {
    throw new UsageError(
      `None of the instances named was found in region ${region}: ${planned.map((p) => p.desired.instanceId).join(", ")}. Check the IDs and --region.`,
    );
  }
}

function finish(report: Report, planned: readonly Planned[], outcome: Outcome, exitCode: ExitCode): Report {
  return { ...report, instances: planned.map((p) => p.report), outcome, exitCode };
}

export async function status(ctx: CommandContext, selection: TargetSelection, raw: RawInputs): Promise<Report> {
  const session = new CommandRun(ctx.connection);
  const region = await session.region();
  const targets = await targetsOf(session, selection, region);
  const desireds = targets.instanceIds.map((id) => desiredFor(raw, id));
  const planned = await inspectAll(session.engine, desireds, false, targets.listed);
  throwIfAllMissing(planned, region);
  return finish(baseReport("status", region, desireds[0].nestedVirtualization), planned, "done", EXIT_CODES.done);
}

/** Plans with the preflight (DryRun checks, stop protection): what apply would do. Read-only. */
async function planned(
  session: CommandRun,
  selection: TargetSelection,
  raw: RawInputs,
  region: string,
): Promise<{ planned: Planned[]; report: Report }> {
  const targets = await targetsOf(session, selection, region);
  // One rollout group per run: at most --max-unavailable of the run's instances out of service at once.
  const rolloutGroup = `nestedvirt-cli-${randomUUID()}`;
  const desireds = targets.instanceIds.map((id) => desiredFor(raw, id, { rolloutGroup }));
  const all = await inspectAll(session.engine, desireds, true, targets.listed);
  throwIfAllMissing(all, region);
  const report = {
    ...baseReport("plan", region, desireds[0].nestedVirtualization),
    disruption: disruptionOf(all, desireds[0]),
  };
  return { planned: all, report };
}

const hasBlockers = (all: readonly Planned[]) => all.some((p) => p.report.blockers.length > 0);

export async function plan(ctx: CommandContext, selection: TargetSelection, raw: RawInputs): Promise<Report> {
  const session = new CommandRun(ctx.connection);
  const region = await session.region();
  const { planned: all, report } = await planned(session, selection, raw, region);
  const blocked = hasBlockers(all);
  return finish(report, all, blocked ? "blocked" : "done", blocked ? EXIT_CODES.usage : EXIT_CODES.done);
}

function resultOfError(error: unknown): { result: InstanceResult; blockers?: BlockedError["blockers"] } {
  if (error instanceof CancelledError) return { result: "cancelled" };
  if (error instanceof RolloutHaltedError) return { result: "halted" };
  if (error instanceof BlockedError) return { result: "blocked", blockers: error.blockers };
  return { result: "failed" };
}

/** Runs the engine's apply for every planned instance at once; the rollout group paces the stops. */
async function execute(
  ctx: CommandContext,
  session: CommandRun,
  all: Planned[],
  success: (p: Planned) => InstanceResult,
): Promise<void> {
  const board = new ProgressBoard(
    all.map((p) => ({
      instanceId: p.desired.instanceId,
      state: p.report.state ?? "-",
      stops: p.inspection.plan.causesDowntime,
    })),
    all[0]?.desired.maxUnavailable,
  );
  session.board = board;
  ctx.display.live(board);
  await Promise.all(
    all.map(async (p) => {
      const id = p.desired.instanceId;
      try {
        const applied: AppliedState = await ctx.control.track((signal) =>
          session.engine.apply(p.desired, {
            signal,
            ...(p.inspection.permitted ? { permitted: p.inspection.permitted } : {}),
          }),
        );
        const result = p.report.action === "none" ? "unchanged" : success(p);
        p.report = {
          ...p.report,
          result,
          state: applied.instanceState,
          nestedVirtualization: applied.nestedVirtualization,
          cycleInFlight: null,
          lastCycle: applied.lastCycle ?? null,
        };
        board.finish(id, result, applied.instanceState, Date.now(), applied.lastCycle?.downtimeSeconds);
      } catch (error) {
        const { result, blockers } = resultOfError(error);
        // Say what the instance is now, not what this run meant it to be.
        const now = await session.engine.read(id).catch(() => undefined);
        p.report = {
          ...p.report,
          result,
          state: now?.instanceState ?? null,
          nestedVirtualization: now?.nestedVirtualization ?? p.report.nestedVirtualization,
          ...(blockers ? { blockers: blockers.map((b) => ({ code: b.code, message: b.message })) } : {}),
          error: {
            code: error instanceof NestedVirtError ? error.code : "Unexpected",
            message: error instanceof Error ? error.message : String(error),
          },
        };
        board.finish(id, result, now?.instanceState ?? null);
      }
    }),
  );
  ctx.display.endLive();
}

function outcomeOf(all: readonly Planned[], interruptedAt: string | null) {
  const results = all.map((p) => p.report.result);
  if (interruptedAt) return { outcome: "interrupted" as const, exitCode: EXIT_CODES.interrupted };
  if (results.some((r) => r === "failed" || r === "halted"))
    return { outcome: "failed" as const, exitCode: EXIT_CODES.failed };
  if (results.some((r) => r === "blocked")) return { outcome: "blocked" as const, exitCode: EXIT_CODES.usage };
  return { outcome: "done" as const, exitCode: EXIT_CODES.done };
}

/** Shows what will happen and asks, on a terminal without --yes; false: the person said no. */
async function confirmed(ctx: CommandContext, report: Report, all: readonly Planned[]): Promise<boolean> {
  const acting = all.filter((p) => p.report.action !== "none");
  if (!ctx.confirm || acting.length === 0) return true;
  const stopping = report.disruption?.instancesStopped ?? 0;
  const question =
    stopping > 0
      ? `Stop and start ${stopping} instance${stopping === 1 ? "" : "s"} (at most ${report.disruption?.maxUnavailable} at once)${acting.length > stopping ? ` and change ${acting.length - stopping} more` : ""}?`
      : `Change ${acting.length} instance${acting.length === 1 ? "" : "s"} (none is stopped)?`;
  return await ctx.confirm(question);
}

/** Not confirmed: nothing was changed; Ctrl-C at the prompt counts as an interrupt (130). */
function declined(ctx: CommandContext, report: Report, all: readonly Planned[], stoppedAt: { value: string | null }) {
  ctx.display.note("Nothing was changed.");
  if (!ctx.control.stopped) return finish(report, all, "declined", EXIT_CODES.usage);
  return { ...finish(report, all, "interrupted", EXIT_CODES.interrupted), interruptedAt: stoppedAt.value };
}

/** The time the run was told to stop, if it was. */
function interruptedAt(control: RunControl, at: { value: string | null }): string | null {
  return control.stopped ? at.value : null;
}

export async function apply(
  ctx: CommandContext,
  selection: TargetSelection,
  raw: RawInputs,
  stoppedAt: { value: string | null },
): Promise<Report> {
  const session = new CommandRun(ctx.connection);
  const region = await session.region();
  const { planned: all, report: planReport } = await planned(session, selection, raw, region);
  const report = { ...planReport, command: "apply" as const };
  if (hasBlockers(all)) return finish(report, all, "blocked", EXIT_CODES.usage);
  ctx.display.overview(finish(report, all, "done", EXIT_CODES.done));
  if (!(await confirmed(ctx, report, all))) return declined(ctx, report, all, stoppedAt);
  await execute(ctx, session, all, () => "changed");
  const at = interruptedAt(ctx.control, stoppedAt);
  const { outcome, exitCode } = outcomeOf(all, at);
  return { ...withObserved(finish(report, all, outcome, exitCode), all), interruptedAt: at };
}

const JOURNALED: Filter = { Name: "tag-key", Values: [JOURNAL_TAG_KEY] };

/**
 * Finds the instances carrying a cycle journal and finishes each cycle as the next IaC run would:
 * the engine applies the journal's own target, so an instance that may still be changed gets it,
 * and one that may not any more is put back in the run state it had before (and reported blocked).
 */
export async function recover(
  ctx: CommandContext,
  selection: TargetSelection | "all",
  raw: RawInputs,
  stoppedAt: { value: string | null },
): Promise<Report> {
  const session = new CommandRun(ctx.connection);
  const region = await session.region();
  const scope: TargetSelection = selection === "all" ? { instanceIds: [], filters: [] } : selection;
  const targets = await resolveSelection(session.gateway, scope, region, [JOURNALED]);
  const rolloutGroup = `nestedvirt-cli-${randomUUID()}`;
  const first = await inspectAll(
    session.engine,
    targets.instanceIds.map((id) => desiredFor(raw, id, { rolloutGroup })),
    false,
    targets.listed,
  );
  const desireds = first.map((p) => {
    const journal = p.inspection.details?.journal;
    return journal
      ? desiredFor(raw, p.desired.instanceId, { rolloutGroup, nestedVirtualization: journal.to })
      : p.desired;
  });
  const all = await inspectAll(session.engine, desireds, true);
  const report = { ...baseReport("recover", region, null), disruption: disruptionOf(all, desireds[0]) };
  if (all.length === 0) {
    ctx.display.note(`No instance in region ${region} carries a ${JOURNAL_TAG_KEY} journal: nothing to recover.`);
    return finish(report, all, "done", EXIT_CODES.done);
  }
  // An unreadable journal is never acted on: report it and touch nothing.
  if (all.some((p) => p.inspection.details?.unreadableJournal)) return finish(report, all, "blocked", EXIT_CODES.usage);
  ctx.display.overview(finish(report, all, "done", EXIT_CODES.done));
  if (!(await confirmed(ctx, report, all))) return declined(ctx, report, all, stoppedAt);
  await execute(ctx, session, all, () => "recovered");
  const at = interruptedAt(ctx.control, stoppedAt);
  const { outcome, exitCode } = outcomeOf(all, at);
  return { ...withObserved(finish(report, all, outcome, exitCode), all), interruptedAt: at };
}
