import Table from "cli-table3";
import { PHASE_TEXT } from "../engine/progress-text";
import type { InstanceProgress, ProgressBoard } from "./progress";
import type { InstanceReport, Report } from "./report";

/** `tty`: tables and a live display; `plain`: timestamped lines (no terminal); `json`: one document. */
export type OutputMode = "tty" | "plain" | "json";

export interface Display {
  /** A message for people: to stderr, above the live display if one is drawn. */
  note(line: string): void;
  /** What the run found (status, plan) or is about to do (apply, recover, before confirming). */
  overview(report: Report): void;
  /** Shows per-instance progress until `endLive`. */
  live(board: ProgressBoard): void;
  endLive(): void;
  /** The run's result; for `json` the one document. */
  result(report: Report): void;
}

type Write = (text: string) => void;

const NO_COLOURS = { head: [] as string[], border: [] as string[], compact: true };

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function cycleText(i: InstanceReport): string {
  const c = i.cycleInFlight;
  if (!c) return "-";
  const who = c.runToken ? `run ${c.runToken.slice(0, 8)}` : "an older run";
  return `${c.live ? "live" : "interrupted"}: ${c.from}→${c.to} since ${c.startedAt}, ${who}`;
}

function supportedText(i: InstanceReport): string {
  if (i.supported === null) return "-";
  if (i.supported) return "yes";
  return "no: type lacks nested-virtualization";
}

/** Blockers, warnings and errors under the table, one per line, named by instance. */
function findingLines(report: Report): string[] {
  const lines: string[] = [];
  for (const i of report.instances) {
    for (const b of i.blockers) lines.push(`blocker  ${b.message}`);
    if (i.error) lines.push(`error    ${i.error.message}`);
    for (const w of i.warnings) lines.push(`warning  ${w.message}`);
  }
  return lines;
}

function disruptionLine(report: Report): string | undefined {
  const d = report.disruption;
  if (!d) return undefined;
  if (d.instancesStopped === 0) return "No instance is stopped.";
  return `${d.instancesStopped} instance${d.instancesStopped === 1 ? "" : "s"} stop${d.instancesStopped === 1 ? "s" : ""}, at most ${d.maxUnavailable} at once: ${d.waves} wave${d.waves === 1 ? "" : "s"}, each down for at most ${d.downtimePerWaveAtMostSeconds}s (the sum of the wait timeouts; set them with --timeout).`;
}

function outcomeLine(report: Report): string {
  const counts = new Map<string, number>();
  for (const i of report.instances) {
    const key = i.result ?? i.action;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const parts = [...counts].map(([k, n]) => `${n} ${k}`).join(", ");
  return `${report.command}: ${report.outcome} (exit ${report.exitCode})${parts ? `: ${parts}` : ""}.`;
}

function overviewTable(report: Report): string {
  const status = report.command === "status";
  const head = status
    ? ["instance", "type", "state", "setting", "supported", "cycle in flight"]
    : ["instance", "type", "state", "setting", "action", "result"];
  const table = new Table({ head, style: NO_COLOURS });
  for (const i of report.instances) {
    const common = [i.instanceId, i.instanceType ?? "-", i.state ?? "not found", i.nestedVirtualization ?? "-"];
    table.push(status ? [...common, supportedText(i), cycleText(i)] : [...common, i.action, i.result ?? "-"]);
  }
  return table.toString();
}

function progressTable(board: ProgressBoard, now: number): string {
  const table = new Table({ head: ["instance", "state", "phase", "elapsed", "slot wait"], style: NO_COLOURS });
  for (const row of board.rows) {
    const end = row.endedAt ?? now;
    table.push([
      row.instanceId,
      row.state,
      row.result ?? PHASE_TEXT[row.phase],
      row.startedAt === undefined ? "-" : seconds(end - row.startedAt),
      seconds(board.slotWaitMs(row, now)),
    ]);
  }
  const done = board.rows.filter((r) => r.result).length;
  const down = board.rows.filter((r) => !r.result && r.state !== "running" && r.startedAt !== undefined).length;
  const estimate = estimateText(board);
  return `${table.toString()}\n${done}/${board.rows.length} finished, ${down} out of service${estimate ? `; ${estimate}` : ""}`;
}

/** The rest of the rollout from the cycles measured so far (the plan only had the timeouts' bound). */
function estimateText(board: ProgressBoard): string | undefined {
  const estimate = board.estimate();
  if (!estimate) return undefined;
  const measured = `cycles so far: median ${seconds(estimate.medianDowntimeMs)} down`;
  if (estimate.wavesLeft === 0) return measured;
  const waves = `${estimate.wavesLeft} wave${estimate.wavesLeft === 1 ? "" : "s"}`;
  return `${measured}, about ${seconds(estimate.remainingMs)} to go (${waves})`;
}

function observedLine(report: Report): string | undefined {
  const observed = report.disruption?.observed;
  if (!observed) return undefined;
  return `Measured: ${observed.cycles} cycle${observed.cycles === 1 ? "" : "s"} out of service for a median of ${observed.medianDowntimeSeconds.toFixed(1)}s, at most ${observed.maxDowntimeSeconds.toFixed(1)}s.`;
}

function textLines(report: Report, overview: boolean): string[] {
  const disruption = report.command === "status" ? undefined : disruptionLine(report);
  return [
    overviewTable(report),
    ...findingLines(report),
    ...(disruption ? [disruption] : []),
    ...(overview ? [] : [outcomeLine(report)]),
  ];
}

class JsonDisplay implements Display {
  constructor(
    private readonly out: Write,
    private readonly err: Write,
  ) {}
  note(line: string): void {
    this.err(`${line}\n`);
  }
  overview(): void {}
  live(): void {}
  endLive(): void {}
  result(report: Report): void {
    this.out(`${JSON.stringify(report, null, 2)}\n`);
  }
}

/** Without a terminal: every line starts with the time it was written (ISO 8601). */
class PlainDisplay implements Display {
  private shown = false;
  constructor(
    private readonly out: Write,
    private readonly err: Write,
  ) {}
  private line(text: string, write: Write = this.out): void {
    write(`${new Date().toISOString()} ${text}\n`);
  }
  note(line: string): void {
    this.line(line, this.err);
  }
  private instanceLine(i: InstanceReport): string {
    const fields = [
      i.instanceId,
      `type=${i.instanceType ?? "-"}`,
      `state=${i.state ?? "not-found"}`,
      `setting=${i.nestedVirtualization ?? "-"}`,
      this.shown ? `result=${i.result ?? "-"}` : `action=${i.action}`,
    ];
    if (i.supported !== null && !this.shown) fields.push(`supported=${i.supported ? "yes" : "no"}`);
    if (i.cycleInFlight && !this.shown) fields.push(`cycle=${cycleText(i).replaceAll(" ", "_")}`);
    return fields.join(" ");
  }
  overview(report: Report): void {
    for (const i of report.instances) this.line(this.instanceLine(i));
    for (const line of findingLines(report)) this.line(line);
    const disruption = report.command === "status" ? undefined : disruptionLine(report);
    if (disruption) this.line(disruption);
    this.shown = true;
  }
  live(board: ProgressBoard): void {
    board.onChange((row: InstanceProgress) => {
      const what = row.result ? `done: ${row.result}` : PHASE_TEXT[row.phase];
      this.line(`${row.instanceId} ${what} (state ${row.state})`);
      const estimate = row.result && row.downtimeSeconds !== undefined ? estimateText(board) : undefined;
      if (estimate) this.line(`estimate ${estimate}`);
    });
  }
  endLive(): void {}
  result(report: Report): void {
    if (!this.shown || report.command === "apply" || report.command === "recover") {
      if (report.command === "apply" || report.command === "recover") {
        for (const i of report.instances) this.line(this.instanceLine(i));
        for (const i of report.instances) {
          for (const b of i.blockers) this.line(`blocker  ${b.message}`);
          if (i.error) this.line(`error    ${i.error.message}`);
        }
        const observed = observedLine(report);
        if (observed) this.line(observed);
      } else this.overview(report);
    }
    this.line(outcomeLine(report));
  }
}

/** On a terminal: tables, and a live per-instance display redrawn in place (log-update). */
class TerminalDisplay implements Display {
  private timer: NodeJS.Timeout | undefined;
  private draw: ((text: string) => void) & { persist(...text: string[]): void; done(): void } = undefined as never;
  private board: ProgressBoard | undefined;
  constructor(
    private readonly out: Write,
    private readonly err: Write,
    private readonly stream: NodeJS.WriteStream,
  ) {}
  note(line: string): void {
    if (this.board) this.draw.persist(line);
    else this.err(`${line}\n`);
  }
  overview(report: Report): void {
    this.out(`${textLines(report, true).join("\n")}\n`);
  }
  live(board: ProgressBoard): void {
    // log-update is an ES module; Node ≥ 22.12 loads it with require().
    const { createLogUpdate } = require("log-update") as typeof import("log-update");
    this.draw = createLogUpdate(this.stream);
    this.board = board;
    const render = () => this.draw(progressTable(board, Date.now()));
    render();
    this.timer = setInterval(render, 250);
    board.onChange(render);
  }
  endLive(): void {
    if (!this.board) return;
    clearInterval(this.timer);
    this.draw(progressTable(this.board, Date.now()));
    this.draw.done();
    this.board = undefined;
  }
  result(report: Report): void {
    const lines = report.command === "status" || report.command === "plan" ? textLines(report, false) : [];
    if (lines.length === 0) {
      const failures = report.instances.flatMap((i) => [
        ...(i.error ? [`error    ${i.error.message}`] : []),
        ...i.blockers.map((b) => `blocker  ${b.message}`),
      ]);
      const observed = observedLine(report);
      lines.push(...failures, ...(observed ? [observed] : []), outcomeLine(report));
    }
    this.out(`${lines.join("\n")}\n`);
  }
}

export function createDisplay(mode: OutputMode, stdout: NodeJS.WriteStream, stderr: NodeJS.WriteStream): Display {
  const out: Write = (text) => stdout.write(text);
  const err: Write = (text) => stderr.write(text);
  if (mode === "json") return new JsonDisplay(out, err);
  if (mode === "plain") return new PlainDisplay(out, err);
  return new TerminalDisplay(out, err, stdout);
}
