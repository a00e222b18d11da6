import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumiProvider from "@pulumi/pulumi/provider";
import { Declarations } from "../engine/duplicates";
import type { Session } from "../engine/session";
import * as handlers from "../pulumi/handlers";
import type { EngineLog } from "./engine-log";
import { ENABLEMENT_TOKEN, pulumiSchema } from "./schema";
import type { DetailedDiff } from "./serve";
import { type AwsStackSettings, readAwsStackSettings, stackOfUrn } from "./stack-config";

/**
 * The nestedvirt provider plugin: Pulumi's resource protocol for `nestedvirt:index:Enablement`,
 * translated onto the same handlers (and so the same engine) as the dynamic resource. What only the
 * plugin has: provider configuration, `pulumi import`, and warnings printed by the CLI.
 */

type Props = Record<string, unknown>;

export interface PluginOptions {
  log: EngineLog;
  /** Provider configuration from Configure (`nestedvirt:region`, a `Provider` resource's args). */
  config: () => { region?: string; profile?: string };
  /** The Session opened at Configure: every resource's engine uses it (or its session for the resource's region). */
  session: () => Session;
  /** Where `aws:region` / `aws:profile` are read for a stack; the CLI's working directory by default. */
  awsStackSettings?: (stack: string) => AwsStackSettings;
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

/** `awsProfile` is how the handlers learn the profile; it is provider state, never resource state. */
function withoutProfile<T extends Props | undefined>(props: T): T {
  if (!props) return props;
  const { awsProfile: _, ...rest } = props;
  return rest as T;
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` → the resource's name. */
function nameOfUrn(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

export interface PluginProvider extends pulumiProvider.Provider {
  /** Also names the changed properties, which the stock server cannot pass on (serve.ts does). */
  diff(id: string, urn: string, olds: Props, news: Props): Promise<DetailedDiff>;
}

export function createPluginProvider(options: PluginOptions): PluginProvider {
  const version = packageVersion();
  // The engine starts a plugin process per run, so these are the declarations of one program.
  const declarations = new Declarations({ resourceType: ENABLEMENT_TOKEN, scope: "program" });
  const awsSettings = options.awsStackSettings ?? ((stack: string) => readAwsStackSettings(process.cwd(), stack));

  /** Region: the resource's own, else the provider's, else `aws:region`; profile likewise. */
  function connected(urn: string, props: Props): Props {
    const config = options.config();
    const stack = stackOfUrn(urn);
    const aws = stack ? awsSettings(stack) : {};
    const region = props.region ?? config.region ?? aws.region;
    const profile = config.profile ?? aws.profile;
    return { ...props, ...(region ? { region } : {}), ...(profile ? { awsProfile: profile } : {}) };
  }

  /** The cycle's phase as the resource's status line in the CLI's live display. */
  const statusOf = (urn: string): handlers.OperationHooks => ({
    status: (message) => void options.log.status(urn, message),
    session: options.session(),
  });

  return {
    version,
    getSchema: async () => JSON.stringify(pulumiSchema(version)),

    async check(urn, olds, news) {
      assertOurType(urn);
      const result = await handlers.check(
        olds,
        connected(urn, news),
        { declarations, resourceName: nameOfUrn(urn) },
        { session: options.session() },
      );
      // Each check is a preview of the operation: the CLI shows these under the resource.
      for (const warning of result.warnings) await options.log.warn(urn, warning);
      return { inputs: withoutProfile(result.inputs), failures: result.failures };
    },

    diff: (id, _urn, olds, news) => handlers.diff(id, olds, news),

    async create(urn, inputs) {
      const result = await handlers.create(connected(urn, inputs), statusOf(urn));
      return { id: result.id, outs: withoutProfile(result.outs as unknown as Props) };
    },

    /** Refresh passes the stored state; `pulumi import` only the ID, and gets the inputs back too. */
    async read(id, urn, props) {
      const result = await handlers.read(id, connected(urn, props ?? {}), { session: options.session() });
      return { id: result.id, props: withoutProfile(result.props), inputs: withoutProfile(result.inputs) };
    },

    async update(id, urn, olds, news) {
      const result = await handlers.update(id, olds, connected(urn, news), statusOf(urn));
      return { outs: withoutProfile(result.outs as unknown as Props) };
    },

    delete: (id, urn, props) => handlers.remove(id, connected(urn, props), statusOf(urn)),

    /** Pulumi's Cancel (the first Ctrl-C of `pulumi up`): no new stops; cycles in flight finish. */
    async cancel() {
      handlers.cancelRuns("the update was cancelled");
    },
  };
}
