/**
 * Entry point of the nestedvirt Pulumi provider plugin (PulumiPlugin.yaml, `runtime: nodejs`). The
 * Node.js language host starts it through `@pulumi/pulumi/cmd/run-plugin` with the engine's address.
 */
import "../compile-cache";
import { watchParent } from "../engine/run-control";
import { createResourceService } from "../service/resource-service";
import { connectEngineLog, engineAddressOf } from "./engine-log";
import { watchEngine } from "./engine-watch";
import { createPluginProvider } from "./provider";
import { type ProviderConfig, serveProvider } from "./serve";

const args = process.argv.slice(2);
const engineAddress = engineAddressOf(args);
let config: { region?: string; profile?: string } = {};
const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

const service = createResourceService();
const provider = createPluginProvider({
  log: connectEngineLog(engineAddress),
  config: () => config,
  service,
});

serveProvider(provider, args, {
  onConfigure: (received: ProviderConfig) => {
    config = { region: text(received.region), profile: text(received.profile) };
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
