import { Declarations, type DeclarationWording } from "../engine/duplicates";
import { isInstanceId } from "../engine/inputs";
import type { AwsConnection } from "../engine/types";
import type { ResourceService } from "../service/resource-service";
import { settingOf } from "../service/state";
import {
  blockerDiagnostic,
  engineErrorDiagnostics,
  errorDiagnostic,
  hasErrors,
  inputFailureDiagnostic,
  planWarningDiagnostic,
  warningDiagnostic,
  withTerraformNames,
} from "./diagnostics";
import type { EngineAccess } from "./engine-access";
import { CtyError, type CtyObject, type CtyValue, ctyEqual, fromJson, isObjectValue, Unknown } from "./protocol/cty";
import type { Diagnostic } from "./protocol/messages";
import { ID_ATTRIBUTE, RESOURCE_SCHEMA_VERSION, RESOURCE_VALUE_TYPE, TERRAFORM_ATTRIBUTES, tfName } from "./schema";
import { COMPUTED_OUTPUTS, defaultsByTfName, stateValues, validate } from "./values";

/**
 * The `nestedvirt_enablement` resource's lifecycle in Terraform terms, on decoded cty values.
 * provider.ts does the protocol (bytes, messages); this file decides what the values are; the
 * resource service (provider/service/) looks at the instance and runs the cycles.
 */

export interface ResourceContext {
  /** Provider-level connection from ConfigureProvider; a resource's own `region` overrides its region. */
  connection: AwsConnection;
  /** The region the AWS SDK would pick when neither the resource nor the provider names one. */
  access: Pick<EngineAccess, "region">;
  /** The resource's operations; its run control is the one StopProvider stops. */
  service: ResourceService;
  /**
   * The plans of this provider process (Terraform starts one per walk and plans each resource once
   * in it): a second plan of an instance is the same instance declared twice.
   */
  declarations?: Declarations;
}

type MutableObject = Record<string, CtyValue>;

const INSTANCE_ID = tfName("instanceId");
const REGION = tfName("region");
const AUTO_SCALING = tfName("autoScaling");
const NESTED_VIRTUALIZATION = tfName("nestedVirtualization");
const PREVIOUS = tfName("previousNestedVirtualization");
const INSTANCE_TYPE = tfName("instanceType");
const INSTANCE_STATE = tfName("instanceState");
const WARNINGS = tfName("warnings");
const LAST_CYCLE = tfName("lastCycle");

/** Attributes whose change means another instance: Terraform replaces the resource. */
const REPLACING = TERRAFORM_ATTRIBUTES.filter((a) => a.spec.forcesReplacement).map((a) => a.spec.tfName);

function connectionFor(context: ResourceContext, region: CtyValue): AwsConnection {
  return typeof region === "string" && region !== "" ? { ...context.connection, region } : context.connection;
}

function asObject(value: CtyValue): CtyObject | undefined {
  return isObjectValue(value) ? value : undefined;
}

function nullObject(): MutableObject {
  const [, attributes] = RESOURCE_VALUE_TYPE as readonly ["object", Record<string, unknown>];
  return Object.fromEntries(Object.keys(attributes).map((name) => [name, null]));
}

/** Any unknown left after apply becomes null: Terraform rejects unknowns in new state. */
function settle(value: CtyValue): CtyValue {
  if (value === Unknown) return null;
  if (Array.isArray(value)) return value.map(settle);
  if (isObjectValue(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, settle(v)]));
  return value;
}

// ---------------------------------------------------------------------------------------------

export function validateResourceConfig(config: CtyValue): Diagnostic[] {
  const object = asObject(config);
  return object ? validate(object).failures.map(inputFailureDiagnostic) : [];
}

export interface PlanRequest {
  prior: CtyValue;
  proposed: CtyValue;
  config: CtyValue;
}

export interface PlanResult {
  planned: CtyValue;
  /** Attribute paths whose change Terraform should treat as replace rather than update. */
  requiresReplace: string[][];
  diagnostics: Diagnostic[];
}

function replacedAttributes(prior: CtyObject, planned: MutableObject): string[] {
  return REPLACING.filter((name) => {
    const before = prior[name] ?? null;
    // A region first recorded now (older state, or resolution failed before) is not a move.
    if (before === null) return false;
    return !ctyEqual(before, planned[name] ?? null);
  });
}

export async function planResourceChange(request: PlanRequest, context: ResourceContext): Promise<PlanResult> {
  const proposed = asObject(request.proposed);
  const config = asObject(request.config);
  const prior = asObject(request.prior);
  // Destroy: only sent to providers claiming plan_destroy (this one does not), answered for safety.
  if (!proposed || !config) return { planned: null, requiresReplace: [], diagnostics: [] };

  const validation = validate(config);
  const diagnostics: Diagnostic[] = validation.failures.map(inputFailureDiagnostic);
  // Terraform leaves deprecation warnings to the provider.
  for (const { spec } of TERRAFORM_ATTRIBUTES) {
    if (spec.deprecation && config[spec.tfName] !== null && config[spec.tfName] !== undefined) {
      diagnostics.push(
        warningDiagnostic(
          "Deprecated attribute",
          withTerraformNames(`${spec.name} is deprecated. ${spec.deprecation}`),
          [spec.tfName],
        ),
      );
    }
  }
  const planned: MutableObject = { ...proposed };

  // An omitted input takes its default, even when an earlier config had set it.
  for (const [name, value] of Object.entries(defaultsByTfName())) if (config[name] === null) planned[name] = value;
  // The deprecated allow_auto_scaling_group_member = true means auto_scaling = "allow": show what applies.
  if (config[AUTO_SCALING] === null && validation.parsed.values.autoScaling === "allow")
    planned[AUTO_SCALING] = "allow";
  if (config[REGION] === null) {
    planned[REGION] = prior?.[REGION] ?? (await context.access.region(context.connection)) ?? Unknown;
  }
  planned[ID_ATTRIBUTE] = planned[INSTANCE_ID];

  const replaced = prior ? replacedAttributes(prior, planned) : [];
  const creating = !prior || replaced.length > 0;
  if (creating) {
    for (const name of COMPUTED_OUTPUTS) planned[name] = Unknown;
  }
  const result = (): PlanResult => ({ planned, requiresReplace: replaced.map((name) => [name]), diagnostics });
  if (hasErrors(diagnostics) || !validation.known || !validation.parsed.desired) return result();
  // A replacement is planned again as a create (prior state null); inspect then, not twice.
  if (replaced.length > 0) return result();
  if (prior && ctyEqual(planned[NESTED_VIRTUALIZATION], prior[NESTED_VIRTUALIZATION] ?? null)) return result();

  const desired = validation.parsed.desired;
  const declarations = context.declarations ?? new Declarations(TERRAFORM_WORDING);
  // Recorded before the inspection, so a twin planned at the same moment finds this one.
  const declared = declarations.record({
    region: typeof planned[REGION] === "string" ? planned[REGION] : undefined,
    instanceId: desired.instanceId,
  });
  try {
    const { plan } = await context.service.inspectInstance(desired, connectionFor(context, planned[REGION]));
    const twice = await declarations.verdict(declared, DUPLICATE_WINDOW_MS);
    if (twice) diagnostics.push(errorDiagnostic("Instance declared twice", twice.message, [INSTANCE_ID]));
    for (const blocker of plan.blockers) diagnostics.push(blockerDiagnostic(desired.instanceId, blocker));
    for (const warning of plan.warnings) diagnostics.push(planWarningDiagnostic(desired.instanceId, warning));
    if (prior && plan.steps.length > 0) {
      // A cycle will run: its outcome is only known after apply.
      planned[INSTANCE_STATE] = Unknown;
      planned[WARNINGS] = Unknown;
      planned[LAST_CYCLE] = Unknown;
      planned[PREVIOUS] = prior[PREVIOUS] ?? Unknown;
    }
  } catch (error) {
    diagnostics.push(...engineErrorDiagnostics(error, `inspect instance ${desired.instanceId}`));
  }
  return result();
}

/** Terraform plans independent resources at once: a plan alone so far waits this long for a twin, so both get the error. */
const DUPLICATE_WINDOW_MS = 250;

export const TERRAFORM_WORDING: DeclarationWording = {
  resourceType: "nestedvirt_enablement",
  scope: "configuration",
  note: "Terraform marks each of them with this error.",
};

export interface ApplyRequest {
  prior: CtyValue;
  planned: CtyValue;
  config: CtyValue;
}

export interface StateResult {
  newState: CtyValue;
  diagnostics: Diagnostic[];
}

export async function applyResourceChange(request: ApplyRequest, context: ResourceContext): Promise<StateResult> {
  const prior = asObject(request.prior);
  const planned = asObject(request.planned);
  if (!planned) return prior ? await destroy(prior, context) : { newState: null, diagnostics: [] };

  const validation = validate(planned);
  const desired = validation.parsed.desired;
  if (!desired) {
    return { newState: prior ?? null, diagnostics: validation.parsed.failures.map(inputFailureDiagnostic) };
  }
  const region =
    planned[REGION] === Unknown ? ((await context.access.region(context.connection)) ?? null) : planned[REGION];
  try {
    const applied = await context.service.applyDesired(desired, connectionFor(context, region));
    const reported = stateValues(applied);
    const next: MutableObject = { ...planned, [REGION]: region ?? null, [ID_ATTRIBUTE]: desired.instanceId };
    // Values known at plan time stay as planned (Terraform holds the provider to them);
    // what the plan left unknown comes from what the engine did.
    for (const [name, value] of Object.entries(next)) {
      if (value === Unknown) next[name] = reported[name] ?? null;
    }
    return { newState: settle(next), diagnostics: [] };
  } catch (error) {
    return { newState: prior ?? null, diagnostics: engineErrorDiagnostics(error, prior ? "update" : "create") };
  }
}

async function destroy(prior: CtyObject, context: ResourceContext): Promise<StateResult> {
  const { parsed } = validate(prior);
  if (!parsed.desired) {
    // Nothing this provider could act on was ever recorded; forgetting the resource is all there is.
    return { newState: null, diagnostics: [] };
  }
  const previousSetting = settingOf(prior[PREVIOUS]);
  try {
    await context.service.removeDesired(parsed.desired, previousSetting, connectionFor(context, prior[REGION]));
    return { newState: null, diagnostics: [] };
  } catch (error) {
    return { newState: prior, diagnostics: engineErrorDiagnostics(error, "delete") };
  }
}

/** Refresh: the live setting, type and run state; null when the instance is gone (or terminated). */
export async function readResource(current: CtyValue, context: ResourceContext): Promise<StateResult> {
  const state = asObject(current);
  const instanceId = state?.[INSTANCE_ID];
  if (!state || typeof instanceId !== "string") return { newState: current, diagnostics: [] };
  try {
    const region =
      typeof state[REGION] === "string" && state[REGION] !== ""
        ? state[REGION]
        : ((await context.access.region(context.connection)) ?? null);
    const live = await context.service.readInstance(instanceId, connectionFor(context, region));
    if (!live) return { newState: null, diagnostics: [] };
    const next: MutableObject = {
      ...state,
      [ID_ATTRIBUTE]: instanceId,
      [REGION]: region,
      [NESTED_VIRTUALIZATION]: live.nestedVirtualization,
      [INSTANCE_TYPE]: live.instanceType,
      [INSTANCE_STATE]: live.instanceState,
    };
    // After an import only the instance ID is known: the defaults are what the config implies.
    for (const [name, value] of Object.entries(defaultsByTfName())) if (next[name] === null) next[name] = value;
    if (next[WARNINGS] === null) next[WARNINGS] = [];
    return { newState: next, diagnostics: [] };
  } catch (error) {
    return { newState: current, diagnostics: engineErrorDiagnostics(error, `read instance ${instanceId}`) };
  }
}

/** A state value built without EC2 (import, upgrade); null when the diagnostics say why not. */
export interface ValueResult {
  state: CtyValue;
  diagnostics: Diagnostic[];
}

/** `terraform import nestedvirt_enablement.x i-…` (or `us-west-2/i-…`); ReadResource fills the rest. */
export function importResourceState(id: string): ValueResult {
  const [maybeRegion, maybeInstance] = id.includes("/") ? id.split("/", 2) : [null, id];
  const instanceId = (maybeInstance ?? "").trim();
  if (!isInstanceId(instanceId)) {
    return {
      state: null,
      diagnostics: [
        errorDiagnostic(
          "Invalid import ID",
          `Expected an EC2 instance ID such as i-0123456789abcdef0, optionally prefixed with its region (us-west-2/i-0123456789abcdef0); got ${JSON.stringify(id)}.`,
        ),
      ],
    };
  }
  const state = nullObject();
  state[ID_ATTRIBUTE] = instanceId;
  state[INSTANCE_ID] = instanceId;
  if (maybeRegion) state[REGION] = maybeRegion;
  return { state, diagnostics: [] };
}

/**
 * Rewrites stored state of an older schema version into the current one: inputs the older
 * version did not have take their defaults, which are what it did (version 0 had no `on_delete`
 * and left the instance alone, `keep`; version 1 had no rollout group or health gate; version 2
 * had no in-guest check, `verify_in_guest = false`, and no `stop_protection`, refusing protected
 * instances, `refuse`, and no `auto_scaling`, which is `allow` where its deprecated
 * `allow_auto_scaling_group_member` was true and `refuse` otherwise), so the upgrade shows no diff.
 */
export function upgradeResourceState(version: number, json: Uint8Array | undefined): ValueResult {
  if (version > RESOURCE_SCHEMA_VERSION) {
    return {
      state: null,
      diagnostics: [
        errorDiagnostic(
          "State written by a newer provider",
          `This state has schema version ${version}, but this provider only knows versions up to ${RESOURCE_SCHEMA_VERSION}. Upgrade the nestedvirt provider.`,
        ),
      ],
    };
  }
  if (!json || json.length === 0) {
    return {
      state: null,
      diagnostics: [
        errorDiagnostic(
          "Unsupported state format",
          "Only JSON state is supported; this state is in the legacy flatmap format.",
        ),
      ],
    };
  }
  try {
    const raw = JSON.parse(Buffer.from(json).toString("utf8")) as Record<string, unknown>;
    // Version 2 state predates auto_scaling: its allow_auto_scaling_group_member = true meant "allow".
    if (version < 3 && raw[AUTO_SCALING] === undefined) {
      raw[AUTO_SCALING] = raw[tfName("allowAutoScalingGroupMember")] === true ? "allow" : "refuse";
    }
    if (version < RESOURCE_SCHEMA_VERSION) {
      for (const [name, value] of Object.entries(defaultsByTfName())) if (raw[name] === undefined) raw[name] = value;
    }
    return { state: fromJson(raw, RESOURCE_VALUE_TYPE), diagnostics: [] };
  } catch (error) {
    const detail = error instanceof CtyError || error instanceof SyntaxError ? error.message : String(error);
    return { state: null, diagnostics: [errorDiagnostic("Cannot read stored state", detail)] };
  }
}
