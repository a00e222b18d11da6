// A very small interpreter for the scripts the engine sends with AWS-RunShellScript and
// AWS-RunPowerShellScript. It understands only the forms those checks use and answers any other
// line as an unknown command, so a script the emulator cannot model fails visibly instead of
// passing by accident.

import type { GuestView } from "./guest";

export interface ScriptResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** `[ -e PATH ]` or `grep -qw WORD /proc/cpuinfo`: the conditions the shell check uses. */
function shellCondition(text: string, view: GuestView): boolean | undefined {
  const exists = /^\[ -e (\S+) \]$/.exec(text.trim());
  if (exists) return view.files.has(exists[1] ?? "");
  const grep = /^grep -qw (\w+) \/proc\/cpuinfo$/.exec(text.trim());
  if (grep) return view.cpuFlags.includes(grep[1] ?? "");
  return undefined;
}

function unquote(text: string): string {
  const trimmed = text.trim();
  return trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
}

/** Runs `lines` as /bin/sh would for the supported forms; the exit code is that of the last line. */
export function runShellScript(lines: readonly string[], view: GuestView): ScriptResult {
  let stdout = "";
  let stderr = "";
  let status = 0;
  for (const line of lines.flatMap((l) => l.split("\n"))) {
    const text = line.trim();
    if (text === "" || text.startsWith("#")) continue;
    const branch = /^if (.+); then echo (.+); else echo (.+); fi$/.exec(text);
    if (branch) {
      const holds = shellCondition(branch[1] ?? "", view);
      if (holds !== undefined) {
        stdout += `${unquote(holds ? (branch[2] ?? "") : (branch[3] ?? ""))}\n`;
        status = 0;
        continue;
      }
    }
    const exit = /^exit (\d+)$/.exec(text);
    if (exit) return { stdout, stderr, exitCode: Number(exit[1]) };
    const all = text.split("&&").map((part) => shellCondition(part, view));
    if (all.every((c) => c !== undefined)) {
      status = all.every(Boolean) ? 0 : 1;
      continue;
    }
    stderr += `sh: ${text.split(" ")[0]}: not modelled by the emulator\n`;
    status = 127;
  }
  return { stdout, stderr, exitCode: status };
}

/**
 * Runs the PowerShell check: `$x = (Get-CimInstance -ClassName Win32_Processor | Select-Object -First 1).Property`,
 * `Write-Output "…$x…"` and `if (-not $x) { exit N }`.
 */
export function runPowerShellScript(lines: readonly string[], view: GuestView): ScriptResult {
  const variables = new Map<string, string>();
  let stdout = "";
  let stderr = "";
  let status = 0;
  for (const line of lines.flatMap((l) => l.split("\n"))) {
    const text = line.trim();
    if (text === "" || text.startsWith("#")) continue;
    const query = /^\$(\w+) = \(Get-CimInstance -ClassName Win32_Processor \| Select-Object -First 1\)\.(\w+)$/.exec(
      text,
    );
    if (query) {
      const property = query[2];
      const value = property === "VirtualizationFirmwareEnabled" ? view.virtualizationFirmwareEnabled : undefined;
      variables.set(query[1] ?? "", value === undefined ? "" : value ? "True" : "False");
      continue;
    }
    const write = /^Write-Output "(.*)"$/.exec(text);
    if (write) {
      stdout += `${(write[1] ?? "").replace(/\$(\w+)/g, (_, name: string) => variables.get(name) ?? "")}\n`;
      continue;
    }
    const guard = /^if \(-not \$(\w+)\) \{ exit (\d+) \}$/.exec(text);
    if (guard) {
      if (variables.get(guard[1] ?? "") !== "True") return { stdout, stderr, exitCode: Number(guard[2]) };
      continue;
    }
    stderr += `The term '${text.split(" ")[0]}' is not modelled by the emulator.\n`;
    status = 1;
  }
  return { stdout, stderr, exitCode: status };
}
