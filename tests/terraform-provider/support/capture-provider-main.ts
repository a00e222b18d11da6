import * as fs from "node:fs";
import type { ProviderHandlers } from "../../../provider/terraform/provider";
import { log, servePlugin } from "../../../provider/terraform/serve";

/**
 * The real provider (real engine; point its `endpoint` at the EC2 emulator) that also records
 * every Provider RPC's raw DynamicValue bytes, as JSON lines, into the file NESTEDVIRT_CAPTURE
 * names: the source of the Terraform-produced fixtures in ../fixtures.ts. Use it as the
 * dev_overrides executable instead of dist/provider/terraform/main.js:
 *
 *     printf '#!/bin/sh\nexec node %s "$@"\n' "$PWD/dist/tests/terraform-provider/support/capture-provider-main.js"
 */

const capture = process.env.NESTEDVIRT_CAPTURE;

function record(rpc: string, request: unknown): void {
  if (!capture || typeof request !== "object" || request === null) return;
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(request)) {
    const msgpack = (value as { msgpack?: Uint8Array } | null)?.msgpack;
    if (msgpack && msgpack.length > 0) fields[name] = Buffer.from(msgpack).toString("hex");
  }
  if (Object.keys(fields).length > 0) fs.appendFileSync(capture, `${JSON.stringify({ rpc, ...fields })}\n`);
}

function recording(handlers: ProviderHandlers): ProviderHandlers {
  const wrapped: Record<string, (request: never) => Promise<unknown>> = {};
  for (const [name, handler] of Object.entries(handlers) as [string, (request: unknown) => Promise<unknown>][]) {
    wrapped[name] = (request: never) => {
      record(name, request);
      return handler(request);
    };
  }
  return wrapped as unknown as ProviderHandlers;
}

servePlugin({ decorate: recording }).catch((error: unknown) => {
  log(`[ERROR] ${String(error)}`);
  process.exit(1);
});
