// HTTP plumbing: reads the body, routes /_emulator/ to the JSON control API and
// everything else to the EC2 Query endpoint (POST form body or GET query string).

import http from "node:http";
import type { AddressInfo } from "node:net";
import { AUTO_SCALING_API_VERSION, type AutoScalingState, handleAutoScalingRequest } from "./autoscaling/query-api";
import { CONTROL_PREFIX, type ControlTarget, handleControlRequest } from "./control";
import { type EmulatorState, type HttpReply, handleEc2Request } from "./dispatch";
import { parseForm } from "./query";
import { SSM_TARGET_PREFIX, type SsmService } from "./ssm/service";

const MAX_BODY_BYTES = 1024 * 1024;

export interface ServerBindings {
  state: EmulatorState;
  control: ControlTarget;
  /** The Auto Scaling endpoint's state: requests with Version=2011-01-01 go there. */
  autoScaling: AutoScalingState;
  latencyMs(): number;
  /** Systems Manager (awsJson1_1), told apart by its `X-Amz-Target` header. */
  ssm?: SsmService;
  /** Extra delay of the answer to `action` after it took effect (see Faults.holdReply). */
  replyHoldMs?(action: string): number;
}

export function createEmulatorServer(bindings: ServerBindings): http.Server {
  return http.createServer((req, res) => {
    handle(bindings, req)
      .then((reply) => send(res, reply))
      .catch((error: unknown) =>
        send(res, { status: 500, headers: { "content-type": "text/plain" }, body: String(error) }),
      );
  });
}

async function handle(bindings: ServerBindings, req: http.IncomingMessage): Promise<HttpReply> {
  const body = await readBody(req);
  const url = new URL(req.url ?? "/", "http://emulator.local");
  if (url.pathname.startsWith(CONTROL_PREFIX)) {
    const reply = handleControlRequest(bindings.control, req.method ?? "GET", url, parseJson(body));
    return { status: reply.status, headers: { "content-type": "application/json" }, body: JSON.stringify(reply.body) };
  }
  const latency = bindings.latencyMs();
  if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
  const target = req.headers["x-amz-target"];
  if (bindings.ssm && typeof target === "string" && target.startsWith(SSM_TARGET_PREFIX)) {
    return bindings.ssm.handle(target, parseJson(body));
  }
  const params = parseForm(url.search.slice(1));
  for (const [key, value] of parseForm(body)) params.set(key, value);
  // Auto Scaling's health check sees every instance change the EC2 endpoint makes.
  bindings.autoScaling.groups.settle();
  if (params.get("Version") === AUTO_SCALING_API_VERSION) return handleAutoScalingRequest(bindings.autoScaling, params);
  const reply = handleEc2Request(bindings.state, params, signedRegionOf(req.headers.authorization));
  const hold = params.get("DryRun") === "true" ? 0 : (bindings.replyHoldMs?.(params.get("Action") ?? "") ?? 0);
  if (hold > 0) await new Promise((resolve) => setTimeout(resolve, hold));
  return reply;
}

/** The region of a SigV4 `Authorization` header's credential scope (`Credential=KEY/DATE/REGION/ec2/aws4_request`). */
function signedRegionOf(authorization: string | undefined): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(authorization ?? "")?.[1];
}

function parseJson(body: string): unknown {
  if (body.trim() === "") return {};
  try {
    return JSON.parse(body);
  } catch {
    return undefined; // handlers reject non-objects with a 400
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("request body too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: http.ServerResponse, reply: HttpReply): void {
  res.writeHead(reply.status, { ...reply.headers, "content-length": Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

export function listen(server: http.Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // The SDK keeps connections alive; drop them so close() resolves promptly.
    server.closeAllConnections();
  });
}
