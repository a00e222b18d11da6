import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumiProvider from "@pulumi/pulumi/provider";
import { Declarations } from "../engine/duplicates";
import type { AwsConnection } from "../engine/types";
import { UNKNOWN_VALUE } from "../pulumi/properties";
import type { ResourceService } from "../service/resource-service";
import type { OperationHooks } from "../service/types";
import type { EngineLog } from "./engine-log";
import { ENABLEMENT_TOKEN, pulumiSchema } from "./schema";
import type { DetailedDiff } from "./serve";
import { type AwsStackSettings, readAwsStackSettings, stackOfUrn } from "./stack-config";

/**
 * The nestedvirt provider plugin: Pulumi's resource protocol for `nestedvirt:index:Enablement`,
 * translated onto the resource service, as the dynamic resource is. What only the plugin has:
 * provider configuration, `pulumi import`, and warnings and status lines printed by the CLI.
 */

type Props = Record<string, unknown>;

export interface PluginOptions {
  log: EngineLog;
  /** Provider configuration from Configure (`nestedvirt:region`, a `Provider` resource's args). */
  config: () => { region?: string; profile?: string };
  /** Where `aws:region` / `aws:profile` are read for a stack; the CLI's working directory by default. */
  awsStackSettings?: (stack: string) => AwsStackSettings;
  /** The plugin process's service, its engines on the Session opened at Configure (main.ts). */
  service: ResourceService;
}

export function packageVersion(): string {
  const manifest = path.join(__dirname, "..", "..", "..", "package.json");
  return (JSON.parse(fs.readFileSync(manifest, "utf8")) as { version: string }).version;
}

function assertOurType(urn: string): void {
  const type = urn.split("::")[2];
  if (type !== ENABLEMENT_TOKEN)
    throw new Error(`unknown resource type ${type}; this provider serves ${ENABLEMENT_TOKEN}`);
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` → the resource's name. */
function nameOfUrn(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

export interface PluginProvider extends pulumiProvider.Provider {
  /** Also names the changed properties, which the stock server cannot pass on (serve.ts does). */
  diff(id: string, urn: string, olds: Props, news: Props): Promise<DetailedDiff>;
}

/** The stock server hands over the request's Struct as is, so an unknown is Pulumi's sentinel string. */
const isUnknown = (value: unknown) => value === UNKNOWN_VALUE;

export function createPluginProvider(options: PluginOptions): PluginProvider {
  const version = packageVersion();
  // The engine starts a plugin process per run, so these are the declarations of one program.
  const declarations = new Declarations({ resourceType: ENABLEMENT_TOKEN, scope: "program" });
  const awsSettings = options.awsStackSettings ?? ((stack: string) => readAwsStackSettings(process.cwd(), stack));

  const { service } = options;

  /** Region: the resource's own, else the provider's, else `aws:region`; profile likewise. */
  function connectionOf(urn: string, props: Props): AwsConnection {
    const config = options.config();
    const stack = stackOfUrn(urn);
    const aws = stack ? awsSettings(stack) : {};
    const region = props.region ?? config.region ?? aws.region;
    const profile = config.profile ?? aws.profile;
    return {
      region: typeof region === "string" ? region : undefined,
      profile: typeof profile === "string" ? profile : undefined,
    };
  }

  /** The region the resource runs in is part of its inputs, so a move shows as a replacement. */
  function withRegion(connection: AwsConnection, props: Props): Props {
    return connection.region ? { ...props, region: connection.region } : props;
  }

  /** The cycle's phase as the resource's status line in the CLI's live display. */
  const statusOf = (urn: string): OperationHooks => ({
    status: (message) => void options.log.status(urn, message),
  });

  return {
    version,
    getSchema: async () => JSON.stringify(pulumiSchema(version)),

    async check(urn, _olds, news) {
      assertOurType(urn);
      const connection = connectionOf(urn, news);
      const inputs = withRegion(connection, news);
      const outcome = await service.check({
        inputs,
        connection,
        isUnknown,
        declaredAs: { declarations, resourceName: nameOfUrn(urn) },
      });
      // Each check is a preview of the operation: the CLI shows these under the resource.
      for (const warning of outcome.warnings) await options.log.warn(urn, warning);
      return {
        inputs: outcome.inputs ?? inputs,
        failures: outcome.failures.map((f) => ({ property: f.attribute, reason: f.message })),
      };
    },

    diff: async (_id, _urn, olds, news) => service.diff(olds, news, isUnknown),

    async create(urn, inputs) {
      const connection = connectionOf(urn, inputs);
      const request = { inputs: withRegion(connection, inputs), connection, hooks: statusOf(urn) };
      const { id, state } = await service.create(request);
      return { id, outs: state };
    },

    /** Refresh passes the stored state; `pulumi import` only the ID, and gets the inputs back too. */
    async read(id, urn, props) {
      const connection = connectionOf(urn, props ?? {});
      const outcome = await service.read(id, withRegion(connection, props ?? {}), connection);
      return outcome
        ? { id: outcome.id, props: outcome.state, inputs: outcome.inputs }
        : { id: undefined, props: undefined, inputs: undefined };
    },

    async update(_id, urn, olds, news) {
      const connection = connectionOf(urn, news);
      const request = { inputs: withRegion(connection, news), connection, prior: olds, hooks: statusOf(urn) };
      return { outs: await service.update(request) };
    },

    async delete(_id, urn, props) {
      const connection = connectionOf(urn, props);
      await service.remove(withRegion(connection, props), connection, statusOf(urn));
    },

    /** Pulumi's Cancel (the first Ctrl-C of `pulumi up`): no new stops; cycles in flight finish. */
    async cancel() {
      service.cancel("the update was cancelled");
    },
  };
}
