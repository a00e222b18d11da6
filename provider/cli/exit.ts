/** The command line's exit codes, as `nestedvirt --help` and docs/cli.md list them. */
export const EXIT_CODES = {
  /** Every instance has the setting asked for (or the command only read). */
  done: 0,
  /** A cycle failed; the message names the instance and where it was left. */
  failed: 1,
  /** Bad input, no target matched, or blockers: nothing was touched. */
  usage: 2,
  /** Interrupted (Ctrl-C, SIGTERM): no instance was stopped after it; cycles in flight finished. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

export const EXIT_CODE_MEANINGS: readonly { code: ExitCode; meaning: string }[] = [
  { code: EXIT_CODES.done, meaning: "done: every target has the setting asked for, or the command only read" },
  { code: EXIT_CODES.failed, meaning: "a cycle failed; the message names the instance and where it was left" },
  {
    code: EXIT_CODES.usage,
    meaning: "usage error, no target matched, blockers, or the prompt answered no: no instance was touched",
  },
  {
    code: EXIT_CODES.interrupted,
    meaning: "interrupted (Ctrl-C or SIGTERM): no stop after it, cycles in flight finished",
  },
];

/** Input the command line cannot act on; reported before any EC2 call that changes something. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
