import { main, type Provider } from "@pulumi/pulumi/provider";
import { pulumiGrpc } from "./pulumi-grpc";

type Props = Record<string, unknown>;

/** Provider configuration as the engine sends it in Configure: `{ region?, profile? }` and so on. */
export type ProviderConfig = Props;

/** A diff that names the changed properties, so the CLI can show `~ nestedVirtualization: a => b`. */
export interface DetailedDiff {
  changes: boolean;
  /** Changed top-level properties (old state against new inputs). */
  diffs: string[];
  replaces: string[];
}

export interface ServeHooks {
  onConfigure(config: ProviderConfig): void;
  diff(id: string, urn: string, olds: Props, news: Props): Promise<DetailedDiff>;
}

interface Struct {
  toJavaScript(): Props;
}
interface Call {
  request: {
    getArgs(): Struct | undefined;
    getVariablesMap(): { toObject(): [string, string][] };
    getId(): string;
    getUrn(): string;
    getOlds(): Struct;
    getNews(): Struct;
  };
}
type Callback = (error: unknown, response?: unknown) => void;
type Handler = (call: Call, callback: Callback) => void;
type ProviderProto = typeof import("@pulumi/pulumi/proto/provider_pb");

/**
 * The config keys of the deprecated `variables` map are `<package>:config:<name>`; `args` holds the
 * same values by name. Older engines send only `variables`.
 */
export function configOf(call: Call): ProviderConfig {
  const args = call.request.getArgs()?.toJavaScript();
  if (args && Object.keys(args).length > 0) return args;
  return Object.fromEntries(
    call.request
      .getVariablesMap()
      .toObject()
      .map(([key, value]) => [key.split(":").pop() ?? key, value]),
  );
}

export function diffResponse(proto: ProviderProto, diff: DetailedDiff, olds: Props): unknown {
  const { DiffResponse, PropertyDiff } = proto;
  const response = new DiffResponse();
  response.setChanges(diff.changes ? DiffResponse.DiffChanges.DIFF_SOME : DiffResponse.DiffChanges.DIFF_NONE);
  response.setReplacesList(diff.replaces);
  response.setDiffsList(diff.diffs);
  response.setHasdetaileddiff(true);
  for (const name of diff.diffs) {
    const replace = diff.replaces.includes(name);
    const kind =
      olds[name] === undefined
        ? replace
          ? PropertyDiff.Kind.ADD_REPLACE
          : PropertyDiff.Kind.ADD
        : replace
          ? PropertyDiff.Kind.UPDATE_REPLACE
          : PropertyDiff.Kind.UPDATE;
    const property = new PropertyDiff();
    property.setKind(kind);
    // The olds are the stored outputs: a refresh's drift shows as a change too.
    property.setInputdiff(false);
    response.getDetaileddiffMap().set(name, property);
  }
  return response;
}

/**
 * `provider.main` from `@pulumi/pulumi/provider`, with two things its Node.js provider server
 * (3.270–3.274) leaves out. Configure is answered without passing the request to the `Provider`
 * (there is no configure hook), so the provider configuration would be lost; and Diff has no way to
 * report a detailed diff, so a drift found by refresh would show as an update with no changed
 * property. `main` registers its gRPC service synchronously; for that one call we wrap the
 * service's `configure` handler (it hands the configuration to `onConfigure`, then answers as
 * before) and answer `diff` from `hooks.diff`.
 *
 * Why the patch stays now that the plugin sits on the resource service, not the dynamic handlers:
 * both gaps are the stock server's own (its `Provider` interface has no configure hook and its
 * DiffResult no detailed diff), so only a server of our own would let it go.
 */
export function serveProvider(provider: Provider, args: string[], hooks: ServeHooks): Promise<void> {
  const grpc = pulumiGrpc();
  const proto = require("@pulumi/pulumi/proto/provider_pb") as ProviderProto;
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (this: unknown, service, implementation) {
    const target = implementation as Record<string, Handler>;
    const answerConfigure = target.configure;
    if ("configure" in service && "diff" in service && typeof answerConfigure === "function") {
      target.configure = (call, callback) => {
        hooks.onConfigure(configOf(call));
        answerConfigure.call(target, call, callback);
      };
      target.diff = (call, callback) => {
        const olds = call.request.getOlds().toJavaScript();
        hooks.diff(call.request.getId(), call.request.getUrn(), olds, call.request.getNews().toJavaScript()).then(
          (diff) => callback(null, diffResponse(proto, diff, olds)),
          (error: unknown) => callback(error),
        );
      };
    }
    return addService.call(this, service, implementation);
  } as typeof addService;
  try {
    return main(provider, args);
  } finally {
    grpc.Server.prototype.addService = addService;
  }
}
