#!/usr/bin/env node
import "../compile-cache";
import { runCli } from "./program";

// nestedvirt: the command line (see program.ts). Unexpected errors are printed and exit 1.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, process }).then(
  (code) => {
    process.exitCode = code;
    // Idle keep-alive connections or timers must not hold the process once the run is over.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    process.stderr.write(`nestedvirt: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
