import type { dynamic } from "@pulumi/pulumi";
import { Declarations } from "../engine/duplicates";
import { watchParent } from "../engine/run-control";
import type { AwsConnection } from "../engine/types";
import { engineSource } from "../service/engine-source";
import { createResourceService, type ResourceService } from "../service/resource-service";
import type { AttributeFailure, DeclaredAs, OperationHooks } from "../service/types";
import { dynamicSession } from "./dynamic-sessions";
import { type EnablementOutputs, PREFLIGHT_PROPERTY, UNKNOWN_VALUE } from "./properties";

/**
 * The Pulumi dynamic provider's methods, translated onto the resource service. The serialized
 * provider object only `require`s this module by name, so every resource's `__provider` stays
 * small and upgrades with the package.
 *
 * A dynamic provider gets no provider configuration and no resource name, so the SDK's class sends
 * them as inputs of its own (properties.ts): they ride along in the state; the service passes
 * them through without reading them, and this file turns them into the connection and the
 * declaration.
 */

type Props = Record<string, unknown>;

/** Pulumi's check result, always with both fields, plus the warnings of the pending cycle. */
export type CheckResult = Required<dynamic.CheckResult<Props>> & { warnings: string[] };

/** Pulumi's diff result, plus the properties that differ. */
export type DiffResult = Required<Pick<dynamic.DiffResult, "changes" | "replaces" | "deleteBeforeReplace">> & {
  readonly diffs: string[];
};

let service: ResourceService | undefined;

/**
 * This process's service. Pulumi's Node.js dynamic provider host answers Cancel without telling its
 * provider, so the stop signal comes from the host process dying: no StopInstances after that,
 * cycles past their stop finish, then the process exits instead of lingering as an orphan.
 */
function resourceService(): ResourceService {
  if (!service) {
    // Pulumi never configures a dynamic provider: its sessions are the shim's own (dynamic-sessions.ts).
    const created = createResourceService({ engines: engineSource(dynamicSession) });
    service = created;
    watchParent(() => {
      created.cancel("the Pulumi engine process is gone");
      void created.settled().then(() => process.exit(0));
    });
  }
  return service;
}

/** The dynamic resources of this program (the dynamic provider host serves one program run). */
const dynamicDeclarations = new Declarations({ resourceType: "NestedVirtEnablement", scope: "program" });

const isUnknown = (value: unknown) => value === UNKNOWN_VALUE;

function connectionOf(props: Props): AwsConnection {
  return {
    region: typeof props.region === "string" ? props.region : undefined,
    profile: typeof props.awsProfile === "string" ? props.awsProfile : undefined,
  };
}

/** The SDK's own properties that the state carries: profile, import ID, resource name, preflight. */
function bookkeepingOf(props: Props): Props {
  return {
    ...(typeof props.awsProfile === "string" ? { awsProfile: props.awsProfile } : {}),
    ...(typeof props.importId === "string" ? { importId: props.importId } : {}),
    ...(typeof props.resourceName === "string" ? { resourceName: props.resourceName } : {}),
    ...(props[PREFLIGHT_PROPERTY] !== undefined ? { [PREFLIGHT_PROPERTY]: props[PREFLIGHT_PROPERTY] } : {}),
  };
}

/** The inputs without the preflight: it served this operation and is not state. */
function withoutPreflight(props: Props): Props {
  const { [PREFLIGHT_PROPERTY]: _preflight, ...rest } = props;
  return rest;
}

const pulumiFailure = (failure: AttributeFailure) => ({ property: failure.attribute, reason: failure.message });

/** The SDK passes the resource's name along with the inputs for this check. */
function dynamicDeclaration(news: Props): DeclaredAs | undefined {
  return typeof news.resourceName === "string"
    ? { declarations: dynamicDeclarations, resourceName: news.resourceName }
    : undefined;
}

export async function check(_olds: Props, news: Props): Promise<CheckResult> {
  const outcome = await resourceService().check({
    inputs: news,
    connection: connectionOf(news),
    isUnknown,
    declaredAs: dynamicDeclaration(news),
    importId: typeof news.importId === "string" ? news.importId : undefined,
    preflight: news[PREFLIGHT_PROPERTY],
  });
  return {
    inputs: outcome.inputs ? { ...outcome.inputs, ...bookkeepingOf(news) } : news,
    failures: outcome.failures.map(pulumiFailure),
    warnings: outcome.warnings,
  };
}

export async function diff(_id: string, stored: Props, news: Props): Promise<DiffResult> {
  return { ...resourceService().diff(stored, news, isUnknown), deleteBeforeReplace: false };
}

export async function create(inputs: Props, hooks?: OperationHooks): Promise<dynamic.CreateResult<EnablementOutputs>> {
  const { id, state } = await resourceService().create({
    inputs: withoutPreflight(inputs),
    connection: connectionOf(inputs),
    adopt: typeof inputs.importId === "string",
    preflight: inputs[PREFLIGHT_PROPERTY],
    hooks,
  });
  return { id, outs: state as EnablementOutputs };
}

export async function update(
  _id: string,
  olds: Props,
  news: Props,
  hooks?: OperationHooks,
): Promise<dynamic.UpdateResult<EnablementOutputs>> {
  const state = await resourceService().update({
    inputs: withoutPreflight(news),
    connection: connectionOf(news),
    prior: olds,
    preflight: news[PREFLIGHT_PROPERTY],
    hooks,
  });
  return { outs: state as EnablementOutputs };
}

/** Live state for `pulumi refresh` and `import`; a vanished instance reads as deleted. */
export async function read(id: string, props: Props): Promise<dynamic.ReadResult<Props>> {
  const outcome = await resourceService().read(id, props, connectionOf(props));
  if (!outcome) return {};
  const carried = bookkeepingOf(props);
  return {
    id,
    props: { ...outcome.state, ...carried },
    ...(outcome.inputs ? { inputs: { ...outcome.inputs, ...carried } } : {}),
  };
}

export async function remove(_id: string, props: Props, hooks?: OperationHooks): Promise<void> {
  await resourceService().remove(props, connectionOf(props), hooks);
}
