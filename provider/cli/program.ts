import * as readline from "node:readline";
import { Command, CommanderError, Option } from "commander";
import { RunControl } from "../engine/run-control";
import type { AwsConnection } from "../engine/types";
import * as commands from "./commands";
import { createDisplay, type OutputMode } from "./display";
import { EXIT_CODE_MEANINGS, EXIT_CODES, type ExitCode, UsageError } from "./exit";
import { AUTO_SCALING_CHOICES, type ChoiceFlags, FLAG_HELP, STOP_PROTECTION_CHOICES, validateFlags } from "./options";
import { type CommandName, REPORT_SCHEMA_VERSION, type Report } from "./report";
import { isEmptySelection, selectionOf, type TargetFlags } from "./targets";

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  /** Signals are taken from this process (SIGINT, SIGTERM); tests of the program run it as a child. */
  process: NodeJS.EventEmitter;
}

type Flags = ChoiceFlags &
  TargetFlags & { profile?: string; output?: string; yes?: boolean; all?: boolean; disable?: boolean };

type Run = (command: CommandName, ids: string[], flags: Flags) => Promise<void>;

const collect = (value: string, previous: string[] = []) => [...previous, value];

const EXAMPLES = `
Targets: instance IDs, --filter (the AWS CLI's syntax; filters AND together) and --auto-scaling-group,
as aws ec2 describe-instances --instance-ids … --filters … would select them. Filters and groups
select live instances (pending, running, stopping, stopped) unless a filter names instance-state-name.

Examples:
  nestedvirt status i-0123456789abcdef0
  nestedvirt plan --filter Name=tag:Role,Values=ci-runner
  nestedvirt apply --auto-scaling-group ci-runners --auto-scaling allow --max-unavailable 3 --yes
  nestedvirt recover --all

Region, profile and credentials come from --region/--profile and the AWS SDK's usual chain
(AWS_REGION, AWS_PROFILE, …); AWS_ENDPOINT_URL_EC2 points it at another endpoint.

Exit codes:
${EXIT_CODE_MEANINGS.map((e) => `  ${String(e.code).padEnd(4)}${e.meaning}`).join("\n")}
`;

function addTargets(command: Command, recover = false): Command {
  return command
    .argument("[instance-ids...]", recover ? "instance IDs to look at for journals" : "EC2 instance IDs (i-…)")
    .option(
      "--filter <Name=…,Values=…>",
      "an EC2 DescribeInstances filter, e.g. Name=tag:Role,Values=ci-runner (repeatable)",
      collect,
    )
    .option("--auto-scaling-group <name>", "the members of an Auto Scaling group (repeatable)", collect);
}

function addConnection(command: Command): Command {
  return command
    .option("--region <region>", FLAG_HELP.region)
    .option("--profile <profile>", FLAG_HELP.profile)
    .addOption(
      new Option("--output <mode>", "auto: a live display on a terminal, plain lines otherwise; plain; json")
        .choices(["auto", "plain", "json"])
        .default("auto"),
    );
}

function addChoices(command: Command, { disable = true, rollout = true } = {}): Command {
  if (disable) command.option("--disable", FLAG_HELP.disable);
  command
    .addOption(new Option("--auto-scaling <mode>", FLAG_HELP.autoScaling).choices(Object.keys(AUTO_SCALING_CHOICES)))
    .addOption(
      new Option("--stop-protection <mode>", FLAG_HELP.stopProtection).choices(Object.keys(STOP_PROTECTION_CHOICES)),
    );
  if (rollout) {
    command
      .option("--max-unavailable <n>", FLAG_HELP.maxUnavailable)
      .option("--wait-for-status-checks", FLAG_HELP.waitForStatusChecks)
      .option("--verify-in-guest", FLAG_HELP.verifyInGuest)
      .option("--timeout <field=duration>", FLAG_HELP.timeout, collect);
  }
  return command;
}

/** The whole command line; `run` is what the commands do (docs pass none). */
export function buildProgram(run: Run = async () => undefined, helpWidth?: number): Command {
  const program = new Command("nestedvirt")
    .description(
      "Turn EC2 nested virtualization on or off for running instances, safely: a journal on each instance, a bound on how many are down at once, recovery after a crash. The same engine as the Pulumi and Terraform resources.",
    )
    .version(versionOfPackage(), "-V, --version")
    .exitOverride()
    .showHelpAfterError("(nestedvirt --help lists the commands; nestedvirt COMMAND --help its options)")
    .addHelpText("after", EXAMPLES);
  if (helpWidth) program.configureHelp({ helpWidth });
  const action = (name: CommandName) => (ids: string[], flags: Flags) => run(name, ids, flags);

  addConnection(
    addChoices(
      addTargets(
        program.command("status").summary("show each instance's setting, support, blockers and cycle in flight"),
      ),
      { rollout: false },
    ),
  )
    .description(
      "A table per instance: type, state, setting, whether its type supports nested virtualization, blockers and warnings (for enabling, or with --disable for disabling), and a cycle in flight (its journal) and whose. Read-only.",
    )
    .action(action("status"));

  addConnection(addChoices(addTargets(program.command("plan").summary("show what apply would do; no change"))))
    .description(
      "What apply would do, with the warnings and blockers, and the disruption: how many instances stop, in how many waves of --max-unavailable, and each wave's downtime bound from the timeouts. Makes no mutating EC2 call (DryRun permission checks and the stop-protection read only). Exits 2 when there are blockers.",
    )
    .action(action("plan"));

  addConnection(
    addChoices(addTargets(program.command("apply").summary("stop, change and start the instances, a few at a time"))),
  )
    .option("-y, --yes", "do not ask for confirmation on a terminal")
    .description(
      "Plans as plan does and refuses on blockers; shows the plan and asks on a terminal unless --yes; then cycles the instances as one rollout group: never more than --max-unavailable out of service at once. Ctrl-C (or SIGTERM) stops new stops; cycles past their stop finish and the instances run again.",
    )
    .action(action("apply"));

  addConnection(
    addChoices(
      addTargets(program.command("recover").summary("finish or roll back interrupted cycles (journals)"), true),
      { disable: false },
    ),
  )
    .option("--all", "every instance in the region that carries a journal")
    .option("-y, --yes", "do not ask for confirmation on a terminal")
    .description(
      "Finds instances carrying a nestedvirt:cycle journal (among the targets, or --all in the region) and finishes each cycle as the next Pulumi or Terraform run would: to the journal's own setting, or, when that is blocked now, back to the run state the instance had before. A live cycle of another run is waited for, not interrupted.",
    )
    .action(action("recover"));
  return program;
}

function versionOfPackage(): string {
  try {
    return (require("../../../package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function outputModeOf(flags: Flags, io: CliIo): OutputMode {
  if (flags.output === "json") return "json";
  if (flags.output === "plain") return "plain";
  return io.stdout.isTTY ? "tty" : "plain";
}

/** The JSON mode's document for a run that never got going. */
function usageReport(command: CommandName, message: string): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    command,
    region: null,
    outcome: "usage-error",
    exitCode: EXIT_CODES.usage,
    nestedVirtualization: null,
    instances: [],
    disruption: null,
    interruptedAt: null,
    error: { message },
  };
}

/** Asks on the terminal; Ctrl-C at the prompt (readline takes it from the terminal) is `onInterrupt`. */
function askOn(io: CliIo, onInterrupt: () => void): (question: string) => Promise<boolean> {
  return (question) =>
    new Promise((resolve) => {
      const rl = readline.createInterface({ input: io.stdin, output: io.stderr });
      rl.on("SIGINT", () => {
        rl.close();
        onInterrupt();
        resolve(false);
      });
      rl.question(`${question} Only "yes" is accepted: `, (answer) => {
        rl.close();
        resolve(answer.trim().toLowerCase() === "yes");
      });
    });
}

/** Runs the command line; resolves with the exit code (the caller exits with it). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT_CODES.done;
  const run: Run = async (command, ids, flags) => {
    const mode = outputModeOf(flags, io);
    const display = createDisplay(mode, io.stdout, io.stderr);
    const control = new RunControl();
    const stoppedAt: { value: string | null } = { value: null };
    const onSignal = (signal: string) => () => {
      stoppedAt.value ??= new Date().toISOString();
      control.stop(`interrupted (${signal})`);
      display.note(
        `${signal}: no instance is stopped from now on; cycles already past their stop finish and their instances run again.`,
      );
    };
    const onInt = onSignal("SIGINT");
    const onTerm = onSignal("SIGTERM");
    io.process.on("SIGINT", onInt);
    io.process.on("SIGTERM", onTerm);
    let report: Report;
    try {
      const { raw, region } = validateFlags(flags);
      const selection = selectionOf(ids, flags);
      const all = command === "recover" && flags.all === true;
      if (all && !isEmptySelection(selection)) throw new UsageError("recover: give targets or --all, not both.");
      if (!all && isEmptySelection(selection)) {
        throw new UsageError(
          `${command}: name the instances: instance IDs, --filter Name=…,Values=… or --auto-scaling-group NAME${command === "recover" ? ", or --all" : ""}.`,
        );
      }
      const connection: AwsConnection = {
        ...(region ? { region } : {}),
        ...(flags.profile ? { profile: flags.profile } : {}),
      };
      const ask = mode !== "json" && io.stdin.isTTY && io.stdout.isTTY && !flags.yes ? askOn(io, onInt) : undefined;
      const ctx: commands.CommandContext = { command, connection, display, control, ...(ask ? { confirm: ask } : {}) };
      switch (command) {
        case "status":
          report = await commands.status(ctx, selection, raw);
          break;
        case "plan":
          report = await commands.plan(ctx, selection, raw);
          break;
        case "apply":
          report = await commands.apply(ctx, selection, raw, stoppedAt);
          break;
        case "recover":
          report = await commands.recover(ctx, all ? "all" : selection, raw, stoppedAt);
          break;
      }
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      io.stderr.write(`nestedvirt ${command}: ${error.message}\n`);
      if (mode === "json") display.result(usageReport(command, error.message));
      exitCode = EXIT_CODES.usage;
      return;
    } finally {
      io.process.off("SIGINT", onInt);
      io.process.off("SIGTERM", onTerm);
    }
    display.result(report);
    exitCode = report.exitCode;
  };
  const program = buildProgram(run, io.stdout.isTTY ? undefined : 100);
  program.configureOutput({
    writeOut: (text) => io.stdout.write(text),
    writeErr: (text) => io.stderr.write(text),
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    const fine = ["commander.helpDisplayed", "commander.version", "commander.help"].includes(error.code);
    return fine && error.exitCode === 0 ? EXIT_CODES.done : EXIT_CODES.usage;
  }
  return exitCode;
}
