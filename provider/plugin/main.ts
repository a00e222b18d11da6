/**
 * Entry point of the nestedvirt Pulumi provider plugin (PulumiPlugin.yaml, `runtime: nodejs`). The
 * Node.js language host starts it through `@pulumi/pulumi/cmd/run-plugin` with the engine's address.
 */
import "../compile-cache";
import { watchParent } from "../engine/run-control";
import { Session } from "../engine/session";
import { engineSource } from "../service/engine-source";
import { createResourceService } from "../service/resource-service";
import { connectEngineLog, engineAddressOf } from "./engine-log";
import { watchEngine } from "./engine-watch";
import { createPluginProvider } from "./provider";
import { type ProviderConfig, serveProvider } from "./serve";

const args = process.argv.slice(2);
const engineAddress = engineAddressOf(args);
const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

/** Set by Configure: the provider's settings and the Session opened for them (one plugin process, one run). */
let configured: { config: { region?: string; profile?: string }; session: Session } | undefined;

/** The engine configures the provider before any resource call; a session is opened here should it not. */
function configuredSession(): Session {
  if (!configured) configured = { config: {}, session: Session.open({}) };
  return configured.session;
}

// Every resource's engine runs on the configured Session, or on its session for the resource's region.
const service = createResourceService({
  engines: engineSource((connection) => configuredSession().forConnection(connection)),
});
const provider = createPluginProvider({
  log: connectEngineLog(engineAddress),
  config: () => configured?.config ?? {},
  service,
});

serveProvider(provider, args, {
  onConfigure: (received: ProviderConfig) => {
    const config = { region: text(received.region), profile: text(received.profile) };
    // Configured again (new settings): a session of the same run, sharing its run token and rollout groups.
    configured = { config, session: configured ? configured.session.forConnection(config) : Session.open(config) };
  },
  diff: (id, urn, olds, news) => provider.diff(id, urn, olds, news),
}).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});

/** No new stops; cycles past their stop finish; then the process exits. */
function finishAndExit(why: string): void {
  service.cancel(why);
  void service.settled().then(() => process.exit(0));
}

// A Ctrl-C in a terminal reaches every process of the group, this one too, while the engine sends
// Cancel: dying on it would cut a stop/modify/start cycle in half.
process.on("SIGINT", () => finishAndExit("interrupted (SIGINT)"));
// The process that started this one died: a plugin left behind would serve an empty port forever.
watchParent(() => finishAndExit("the Pulumi engine process is gone"));
// The engine's connection closed for good: nobody is left to ask for anything or to hear the result.
if (engineAddress) watchEngine(engineAddress, () => finishAndExit("the Pulumi engine's connection closed"));
