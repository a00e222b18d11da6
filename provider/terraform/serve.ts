import { performance } from "node:perf_hooks";
import * as grpc from "@grpc/grpc-js";
import { RunControl, watchParent } from "../engine/run-control";
import { type EngineAccess, engineAccess } from "./engine-access";
import {
  handshakeLine,
  negotiateProtocolVersion,
  portCandidates,
  RUN_BY_HAND_MESSAGE,
  startedByHost,
} from "./protocol/handshake";
import { generateCertificate, handshakeCertificate } from "./protocol/tls";
import { createProvider, type ProviderHandlers } from "./provider";
import { startPluginServer } from "./server";

/**
 * Runs this process as a go-plugin provider: checks it was started by Terraform, serves plugin
 * protocol 6 over gRPC on 127.0.0.1 and announces it. Stdout carries only the handshake line;
 * logs go to stderr, where Terraform shows them under TF_LOG (the [LEVEL] prefix sets the level).
 */

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export interface ServeOptions {
  /** The engine to use; tests pass a fake, the binary the real one. */
  access?: EngineAccess;
  /** Wraps the Provider RPC handlers, e.g. to record raw requests in tests. */
  decorate?: (handlers: ProviderHandlers) => ProviderHandlers;
}

export async function servePlugin(options: ServeOptions = {}): Promise<void> {
  const started = performance.now();
  if (!startedByHost(process.env)) {
    process.stderr.write(`${RUN_BY_HAND_MESSAGE}\n`);
    process.exit(1);
  }
  const version = negotiateProtocolVersion(process.env);
  if (version === undefined) {
    log(
      `[ERROR] nestedvirt: Terraform offered plugin protocol versions ${process.env.PLUGIN_PROTOCOL_VERSIONS}; this provider speaks only 6 (Terraform 1.0 or newer).`,
    );
    process.exit(1);
  }

  const clientCertificate = process.env.PLUGIN_CLIENT_CERT;
  const serverCertificate = clientCertificate ? generateCertificate() : undefined;
  const credentials = serverCertificate
    ? grpc.ServerCredentials.createSsl(
        Buffer.from(clientCertificate ?? ""),
        [
          {
            cert_chain: Buffer.from(serverCertificate.certificatePem),
            private_key: Buffer.from(serverCertificate.privateKeyPem),
          },
        ],
        true, // only the host holding the certificate it announced may connect
      )
    : grpc.ServerCredentials.createInsecure();

  let stopping = false;
  const control = new RunControl();
  // Told to go, or left alone (Terraform killed, its connection closed): finish what is past its
  // stop, then exit.
  const finishAndExit = (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`[INFO] nestedvirt: ${why}; finishing cycles under way, then exiting`);
    control.stop(why);
    void control
      .settled()
      .then(() => server.stop())
      .then(() => process.exit(0));
  };
  const server = await startPluginServer({
    provider: (options.decorate ?? ((handlers) => handlers))(
      createProvider({ access: options.access ?? engineAccess(log), log, control }),
    ),
    credentials,
    ports: portCandidates(process.env),
    log,
    onHostGone: () => finishAndExit("the connection to Terraform closed"),
    onShutdown: () => {
      if (stopping) return;
      stopping = true;
      log("[DEBUG] nestedvirt: shutdown requested");
      void server.stop().then(() => process.exit(0));
    },
  });

  process.stdout.write(
    `${handshakeLine(server.port, serverCertificate ? handshakeCertificate(serverCertificate.der) : "")}\n`,
  );
  // Once Terraform is gone its end of our stderr pipe is closed: a failed log write must not kill a
  // cycle that is still bringing an instance back up.
  process.stderr.on("error", () => undefined);
  // Anything a dependency prints later must not land on stdout, which belongs to the handshake.
  console.log = console.error;
  console.info = console.error;
  // Terraform forwards Ctrl-C to the whole process group and then asks politely (StopProvider,
  // Shutdown); dying on the signal would cut a stop/modify/start cycle in half. So: no new stops,
  // and the process stays until Terraform shuts it down.
  process.on("SIGINT", () => {
    log("[INFO] nestedvirt: interrupt received; no instance will be stopped from now on");
    control.stop("interrupted (SIGINT)");
  });
  process.on("SIGTERM", () => finishAndExit("SIGTERM received"));
  watchParent(() => finishAndExit("the Terraform process is gone"));
  log(
    `[DEBUG] nestedvirt: serving plugin protocol ${version} on 127.0.0.1:${server.port} (${serverCertificate ? "mTLS" : "plaintext"}), ready in ${Math.round(performance.now() - started)} ms`,
  );
}
