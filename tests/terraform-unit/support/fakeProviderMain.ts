import * as fs from "node:fs";
import type { ProviderHandlers } from "../../../provider/terraform/provider";
import { log, servePlugin } from "../../../provider/terraform/serve";
import { FakeEc2 } from "./fakeEngine";

/**
 * The real provider process with the fake engine, for driving the whole lifecycle with the real
 * terraform CLI and no EC2: NESTEDVIRT_FAKE_EC2 names the JSON file of fake instances, and
 * NESTEDVIRT_CAPTURE (optional) a file that receives every request's raw DynamicValue bytes as
 * JSON lines, the source of the Terraform-produced fixtures in cty.test.ts.
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

const ec2 = new FakeEc2(process.env.NESTEDVIRT_FAKE_EC2);
servePlugin({ access: ec2.access(), decorate: recording }).catch((error: unknown) => {
  log(`[ERROR] ${String(error)}`);
  process.exit(1);
});
