import { pulumiGrpc } from "./pulumi-grpc";

/**
 * Messages to the Pulumi CLI through the engine's Log RPC, attached to a resource by its URN: the
 * CLI prints them under that resource at preview and at up, as it does for any native provider.
 */
export interface EngineLog {
  warn(urn: string, message: string): Promise<void>;
  /** A transient status line next to the resource (`stopping i-…`), not kept in the output. */
  status(urn: string, message: string): Promise<void>;
}

type LogRequestClass = typeof import("@pulumi/pulumi/proto/engine_pb").LogRequest;
type Severity = import("@pulumi/pulumi/proto/engine_pb").LogSeverity;

/** The engine's address is the first plugin argument that is not a flag (`--logtostderr`, `-v=9`). */
export function engineAddressOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--tracing") i++;
    else if (!args[i].startsWith("-")) return args[i];
  }
  return undefined;
}

/** Without an engine address (a plugin started by hand) messages go to stderr. */
export function connectEngineLog(address: string | undefined): EngineLog {
  if (!address) {
    return {
      warn: async (urn, message) => void process.stderr.write(`warning: ${urn}: ${message}\n`),
      status: async () => undefined,
    };
  }
  const grpc = pulumiGrpc();
  const { EngineClient } =
    require("@pulumi/pulumi/proto/engine_grpc_pb") as typeof import("@pulumi/pulumi/proto/engine_grpc_pb");
  const proto = require("@pulumi/pulumi/proto/engine_pb") as typeof import("@pulumi/pulumi/proto/engine_pb");
  const client = new EngineClient(address, grpc.credentials.createInsecure());
  const LogRequest: LogRequestClass = proto.LogRequest;

  // Each Log is its own RPC, and the engine handles concurrent ones in any order: send them one at a
  // time, so the CLI shows a cycle's phases in the order they happened.
  let delivered: Promise<void> = Promise.resolve();
  function send(severity: Severity, urn: string, message: string, ephemeral: boolean): Promise<void> {
    delivered = delivered.then(() => deliver(severity, urn, message, ephemeral));
    return delivered;
  }
  function deliver(severity: Severity, urn: string, message: string, ephemeral: boolean): Promise<void> {
    const request = new LogRequest();
    request.setSeverity(severity);
    request.setUrn(urn);
    request.setMessage(message);
    request.setEphemeral(ephemeral);
    // A lost message must never fail the operation it describes.
    return new Promise((resolve) => client.log(request, () => resolve()));
  }
  return {
    warn: (urn, message) => send(proto.LogSeverity.WARNING, urn, message, false),
    status: (urn, message) => send(proto.LogSeverity.INFO, urn, message, true),
  };
}
