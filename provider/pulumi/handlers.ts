import type { dynamic } from "@pulumi/pulumi";
import {
  type AppliedState,
  type ApplyOptions,
  createEngine,
  type DesiredState,
  type Engine,
  INPUT_ATTRIBUTES,
  InvalidInputsError,
  type NestedVirtSetting,
  type ParsedInputs,
  type ProgressPhase,
  parseInputs,
  type RawInputs,
  REPLACING_ATTRIBUTES,
} from "../engine";
import { Declarations } from "../engine/duplicates";
import { phaseStatus } from "../engine/progress-text";
import { RunControl, watchParent } from "../engine/run-control";
import type { Session } from "../engine/session";
import { dynamicSession } from "./dynamic-sessions";
import { currentPreflight, PREFLIGHT_PROPERTY } from "./preflight-record";
import { type EnablementInputs, type EnablementOutputs, UNKNOWN_VALUE } from "./properties";

/**
 * The Pulumi dynamic provider's methods. The serialized provider object only `require`s this
 * module by name, so every resource's `__provider` stays small and upgrades with the package.
 */

type Props = Record<string, unknown>;

/** Pulumi's check result, always with both fields, plus what the plugin prints at preview. */
export type CheckResult = Required<dynamic.CheckResult<Props>> & {
  /** What the pending cycle will do besides the CPU option. */
  warnings: string[];
};

/**
 * This process's cycles. Pulumi's Node.js dynamic provider host answers Cancel without telling its
 * provider, so the stop signal comes from the host process dying: no StopInstances after that,
 * cycles past their stop finish, then the process exits instead of lingering as an orphan.
 */
let control: RunControl | undefined;

function runControl(): RunControl {
  if (!control) {
    const created = new RunControl();
    control = created;
    watchParent(() => {
      created.stop("the Pulumi engine process is gone");
      void created.settled().then(() => process.exit(0));
    });
  }
  return control;
}

/** Who declares a resource to `check`: the run's declarations and the resource's name in them. */
export interface DeclaredAs {
  declarations: Declarations;
  resourceName: string;
}

/** The dynamic resources of this program (the dynamic provider host serves one program run). */
const dynamicDeclarations = new Declarations({ resourceType: "NestedVirtEnablement", scope: "program" });

/** The SDK passes the resource's name along with the inputs for this check. */
function dynamicDeclaration(news: Props): DeclaredAs | undefined {
  return typeof news.resourceName === "string"
    ? { declarations: dynamicDeclarations, resourceName: news.resourceName }
    : undefined;
}

/**
 * Pulumi's Cancel (the plugin gets it; the dynamic host swallows it): no StopInstances from now on;
 * cycles past their stop finish, and the process keeps serving until the engine shuts it down.
 */
export function cancelRuns(reason: string): void {
  runControl().stop(reason);
}

/** Resolves once no cycle of this process is under way any more. */
export function runsSettled(): Promise<void> {
  return runControl().settled();
}

/** What a front end with a live display passes along with an operation (the plugin does; the dynamic host cannot). */
export interface OperationHooks {
  /** Each phase of the cycle as it begins, in words (`stopping i-0abc…`). */
  status?: (message: string) => void;
  /** The Session the plugin opened at Configure; without one, the dynamic shim's (dynamic-sessions.ts). */
  session?: Session;
}

function engineFor(props: Props, hooks: OperationHooks = {}): Engine {
  const { status } = hooks;
  const connection = {
    region: typeof props.region === "string" ? props.region : undefined,
    profile: typeof props.awsProfile === "string" ? props.awsProfile : undefined,
  };
  return createEngine({
    session: hooks.session ? hooks.session.forConnection(connection) : dynamicSession(connection),
    ...(status
      ? { progress: (instanceId: string, phase: ProgressPhase) => status(phaseStatus(instanceId, phase)) }
      : {}),
  });
}

function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN_VALUE) return true;
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** A stored setting, or undefined when the state predates it or holds something else. */
function settingOf(value: unknown): NestedVirtSetting | undefined {
  return value === "enabled" || value === "disabled" ? value : undefined;
}

function desiredFrom(props: Props): DesiredState {
  const parsed = parseInputs(props as RawInputs);
  if (!parsed.desired) {
    throw new InvalidInputsError(parsed.failures.map((f) => f.message));
  }
  return parsed.desired;
}

/** The inputs with the schema's defaults filled in, plus our own bookkeeping properties. */
function normalizedInputs(news: Props, parsed: ParsedInputs): EnablementInputs {
  return {
    ...(parsed.values as unknown as EnablementInputs),
    ...(typeof news.awsProfile === "string" ? { awsProfile: news.awsProfile } : {}),
    ...(typeof news.importId === "string" ? { importId: news.importId } : {}),
    ...(typeof news.resourceName === "string" ? { resourceName: news.resourceName } : {}),
    ...(news[PREFLIGHT_PROPERTY] !== undefined ? { [PREFLIGHT_PROPERTY]: news[PREFLIGHT_PROPERTY] } : {}),
  };
}

/**
 * Validates inputs and, when the instance is known, looks at it: a blocker (unsupported type,
 * Spot, Auto Scaling member, missing permission…) fails the preview before anything is touched.
 */
export async function check(
  _olds: Props,
  news: Props,
  declaredAs: DeclaredAs | undefined = dynamicDeclaration(news),
  hooks?: OperationHooks,
): Promise<CheckResult> {
  if (containsUnknown(news)) return { inputs: news, failures: [], warnings: [] };
  const parsed = parseInputs(news as RawInputs);
  const failures = parsed.failures.map((f) => ({ property: f.attribute.split(".")[0], reason: f.message }));
  if (!parsed.desired) return { inputs: news, failures, warnings: [] };
  const inputs = normalizedInputs(news, parsed);
  const duplicate = await declaredAs?.declarations.declare({
    region: parsed.region,
    instanceId: parsed.desired.instanceId,
    resourceName: declaredAs.resourceName,
  });
  if (duplicate)
    return {
      inputs: news,
      failures: [...failures, { property: "instanceId", reason: duplicate.message }],
      warnings: [],
    };
  if (inputs.importId !== undefined && inputs.importId !== inputs.instanceId) {
    failures.push({
      property: "instanceId",
      reason: `The import ID ${inputs.importId} must be the instanceId (${inputs.instanceId}): an enablement is imported by its instance's ID.`,
    });
  }
  // The program's preflight of moments ago (see preflight-record.ts) spares EC2 calls made one resource at a time.
  const preflight = currentPreflight(news[PREFLIGHT_PROPERTY], parsed.desired);
  const { blockers, warnings } = preflight
    ? { blockers: preflight.blockers, warnings: [] }
    : await engineFor(news, hooks)
        .inspect(parsed.desired, { checkPermissions: true })
        .then(({ plan }) => ({ blockers: plan.blockers, warnings: plan.warnings.map((w) => w.message) }));
  for (const blocker of blockers)
    failures.push({ property: blocker.attribute ?? "instanceId", reason: blocker.message });
  return { inputs: inputs as unknown as Props, failures, warnings };
}

/** The program's DryRun verdicts for the engine, when the inputs carry a current preflight. */
function permittedBy(inputs: Props, desired: DesiredState): ApplyOptions["permitted"] {
  const preflight = currentPreflight(inputs[PREFLIGHT_PROPERTY], desired);
  return preflight ? { checkedAt: Date.parse(preflight.checkedAt), actions: preflight.permitted } : undefined;
}

function changed(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);
}

/** Pulumi's diff result, plus the properties that differ (the plugin's DiffResponse carries them). */
export type DiffResult = Required<Pick<dynamic.DiffResult, "changes" | "replaces" | "deleteBeforeReplace">> & {
  readonly diffs: string[];
};

export async function diff(_id: string, stored: Props, news: Props): Promise<DiffResult> {
  // State written before `autoScaling` existed: its deprecated allowAutoScalingGroupMember says what it meant.
  const olds: Props =
    stored.autoScaling === undefined
      ? { ...stored, autoScaling: stored.allowAutoScalingGroupMember === true ? "allow" : "refuse" }
      : stored;
  // Only the schema's inputs: the connection (awsProfile) and bookkeeping (__provider, importId) never diff.
  const names = INPUT_ATTRIBUTES.map((a) => a.name);
  const differing = names.filter((name) => news[name] === UNKNOWN_VALUE || changed(olds[name], news[name]));
  const replaces = differing.filter((name) => REPLACING_ATTRIBUTES.includes(name));
  return { changes: differing.length > 0, diffs: differing, replaces, deleteBeforeReplace: false };
}

function outputsOf(inputs: Props, applied: AppliedState, prior?: Props): EnablementOutputs {
  const { [PREFLIGHT_PROPERTY]: _preflight, ...declared } = inputs;
  return {
    ...(declared as unknown as EnablementInputs),
    nestedVirtualization: applied.nestedVirtualization,
    instanceType: applied.instanceType,
    instanceState: applied.instanceState,
    previousNestedVirtualization:
      settingOf(prior?.previousNestedVirtualization) ?? applied.previousNestedVirtualization,
    warnings: applied.warnings,
    ...(applied.lastCycle
      ? { lastCycle: applied.lastCycle }
      : prior?.lastCycle
        ? { lastCycle: prior.lastCycle as EnablementOutputs["lastCycle"] }
        : {}),
  };
}

export async function create(inputs: Props, hooks?: OperationHooks): Promise<dynamic.CreateResult<EnablementOutputs>> {
  const engine = engineFor(inputs, hooks);
  const desired = desiredFrom(inputs);
  const applied =
    typeof inputs.importId === "string"
      ? await engine.adopt(desired)
      : await runControl().track((signal) =>
          engine.apply(desired, { signal, permitted: permittedBy(inputs, desired) }),
        );
  return { id: applied.instanceId, outs: outputsOf(inputs, applied) };
}

export async function update(
  _id: string,
  olds: Props,
  news: Props,
  hooks?: OperationHooks,
): Promise<dynamic.UpdateResult<EnablementOutputs>> {
  const engine = engineFor(news, hooks);
  const desired = desiredFrom(news);
  const applied = await runControl().track((signal) =>
    engine.apply(desired, { signal, permitted: permittedBy(news, desired) }),
  );
  return { outs: outputsOf(news, applied, olds) };
}

/** Live state for `pulumi refresh` and `import`; a vanished instance reads as deleted. */
export async function read(id: string, props: Props, hooks?: OperationHooks): Promise<dynamic.ReadResult<Props>> {
  const live = await engineFor(props, hooks).read(id);
  if (!live) return {};
  const known = props.instanceId === id;
  // Refresh keeps the declared setting (drift then shows in the diff); import takes the live one.
  const declared = {
    ...props,
    instanceId: id,
    nestedVirtualization: known ? props.nestedVirtualization : live.nestedVirtualization,
  };
  const declaredParse = parseInputs(declared as RawInputs);
  const parsed = declaredParse.desired
    ? declaredParse
    : parseInputs({ instanceId: id, nestedVirtualization: live.nestedVirtualization, region: declaredParse.region });
  const inputs = normalizedInputs(props, parsed);
  const outputs: EnablementOutputs = {
    ...inputs,
    nestedVirtualization: live.nestedVirtualization,
    instanceType: live.instanceType,
    instanceState: live.instanceState,
    previousNestedVirtualization: settingOf(props.previousNestedVirtualization) ?? live.nestedVirtualization,
    warnings: Array.isArray(props.warnings) ? (props.warnings as string[]) : [],
    ...(props.lastCycle ? { lastCycle: props.lastCycle as EnablementOutputs["lastCycle"] } : {}),
  };
  return { id, props: outputs as unknown as Props, ...(known ? {} : { inputs: inputs as unknown as Props }) };
}

export async function remove(_id: string, props: Props, hooks?: OperationHooks): Promise<void> {
  const engine = engineFor(props, hooks);
  const desired = desiredFrom(props);
  await runControl().track((signal) =>
    engine.remove(desired, settingOf(props.previousNestedVirtualization), { signal }),
  );
}
