#!/usr/bin/env node
import "../compile-cache";
import { log, servePlugin } from "./serve";

// terraform-provider-nestedvirt: the executable Terraform starts (see serve.ts for the protocol).
servePlugin().catch((error: unknown) => {
  log(`[ERROR] nestedvirt: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
