import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { embeddedProtoDefinitions } from "./protocol/embedded-protos";
import { internalErrorDiagnostic, type ProviderHandlers } from "./provider";

/**
 * The gRPC server a go-plugin host (Terraform) talks to: tfplugin6.Provider plus the health,
 * controller, stdio and broker services go-plugin expects from every plugin process.
 */

/** The .proto files ship in the package next to the sources; this file runs from dist/provider/terraform. */
export const PROTO_DIR = path.join(__dirname, "../../../provider/terraform/protocol");

export const PROTO_FILES = ["tfplugin6.proto", "goplugin.proto", "health.proto"];

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true, // field names exactly as in the .proto (snake_case), matching protocol.ts
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

export function loadServices(): protoLoader.PackageDefinition {
  const embedded = embeddedProtoDefinitions();
  if (embedded) return protoLoader.fromJSON(embedded, LOADER_OPTIONS);
  return protoLoader.loadSync(
    PROTO_FILES.map((file) => path.join(PROTO_DIR, file)),
    LOADER_OPTIONS,
  );
}

function service(definition: protoLoader.PackageDefinition, name: string): grpc.ServiceDefinition {
  const found = definition[name];
  // Message and enum definitions carry a `format`; services are plain maps of methods.
  if (!found || "format" in found) throw new Error(`service ${name} missing from the .proto files`);
  return found as grpc.ServiceDefinition;
}

export interface PluginServerOptions {
  provider: ProviderHandlers;
  credentials: grpc.ServerCredentials;
  /** Ports to try in order; 0 lets the OS choose. */
  ports: readonly number[];
  /** Called after go-plugin's Shutdown RPC has been answered. */
  onShutdown: () => void;
  /**
   * Called once when the host's connection closes without a Shutdown: go-plugin keeps the stdio
   * stream open until the plugin process ends, so its cancellation means the host is gone (its
   * broker stream, by contrast, is let go first when the host closes the plugin).
   */
  onHostGone: () => void;
  log: (line: string) => void;
}

export interface PluginServer {
  port: number;
  stop(): Promise<void>;
}

/** Every Provider RPC answers with its diagnostics rather than failing the call. */
function providerImplementation(
  provider: ProviderHandlers,
  log: (line: string) => void,
): grpc.UntypedServiceImplementation {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(provider) as [string, (request: unknown) => Promise<object>][]) {
    implementation[method] = (call: grpc.ServerUnaryCall<unknown, object>, callback: grpc.sendUnaryData<object>) => {
      handler(call.request).then(
        (response) => callback(null, response),
        (error: unknown) => {
          log(
            `[ERROR] nestedvirt: ${method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          );
          callback(
            null,
            method === "StopProvider" ? { Error: String(error) } : { diagnostics: [internalErrorDiagnostic(error)] },
          );
        },
      );
    };
  }
  return implementation;
}

export async function startPluginServer(options: PluginServerOptions): Promise<PluginServer> {
  const definition = loadServices();
  const server = new grpc.Server();
  const openStreams = new Set<
    grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>
  >();

  let shuttingDown = false;
  let hostGone = false;
  const lost = (stream: grpc.ServerWritableStream<unknown, unknown>) => {
    openStreams.delete(stream);
    if (shuttingDown || hostGone) return;
    hostGone = true;
    options.onHostGone();
  };
  server.addService(service(definition, "tfplugin6.Provider"), providerImplementation(options.provider, options.log));
  server.addService(service(definition, "grpc.health.v1.Health"), {
    Check: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<object>) =>
      callback(null, { status: "SERVING" }),
  });
  server.addService(service(definition, "plugin.GRPCController"), {
    Shutdown: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<object>) => {
      shuttingDown = true;
      callback(null, {});
      setImmediate(options.onShutdown);
    },
  });
  // Logs go straight to stderr, which go-plugin already reads, so the stdio stream carries nothing;
  // it stays open until shutdown because go-plugin treats its end as the plugin going away.
  server.addService(service(definition, "plugin.GRPCStdio"), {
    StreamStdio: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      openStreams.add(call);
      call.on("cancelled", () => lost(call));
    },
  });
  // No side channels are ever offered; the stream is accepted and left idle.
  server.addService(service(definition, "plugin.GRPCBroker"), {
    StartStream: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      openStreams.add(call);
      call.on("data", () => undefined);
      call.on("end", () => {
        openStreams.delete(call);
        call.end();
      });
      call.on("cancelled", () => openStreams.delete(call));
    },
  });

  const port = await bindFirst(server, options.credentials, options.ports);
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        shuttingDown = true;
        for (const stream of openStreams) stream.end();
        openStreams.clear();
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

async function bindFirst(
  server: grpc.Server,
  credentials: grpc.ServerCredentials,
  ports: readonly number[],
): Promise<number> {
  let lastError: Error | undefined;
  for (const port of ports) {
    try {
      return await new Promise<number>((resolve, reject) =>
        server.bindAsync(`127.0.0.1:${port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
      );
    } catch (error) {
      lastError = error as Error;
    }
  }
  throw new Error(
    `could not listen on 127.0.0.1 (tried ${ports.length} port(s)): ${lastError?.message ?? "no port to try"}`,
  );
}
