import type { AppliedState, ApplyOptions, Engine, Inspection } from "../engine/engine";
import { InvalidInputsError } from "../engine/errors";
import { type ParsedInputs, parseInputs, type RawInputs } from "../engine/inputs";
import { phaseStatus } from "../engine/progress-text";
import { RunControl } from "../engine/run-control";
import type { AwsConnection, DesiredState, EnablementState, NestedVirtSetting } from "../engine/types";
import { diffInputs } from "./diff";
import type { EngineSource } from "./engine-source";
import type { PreflightRecord } from "./preflight-record";
import { settingOf, stateAfterApply, stateAfterRead } from "./state";
import type {
  ApplyRequest,
  CheckOutcome,
  CheckRequest,
  DiffOutcome,
  OperationHooks,
  ReadOutcome,
  ResourceValues,
} from "./types";

/**
 * The `Enablement` resource's operations in no front end's terms: the Pulumi dynamic provider,
 * the Pulumi plugin and the Terraform provider each translate their protocol onto these. Cycles
 * run under the service's run control, so one `cancel` stops every front end's new stops.
 */
export interface ResourceService {
  /** Validates inputs, catches a second declaration of the instance, and looks for blockers. */
  check(request: CheckRequest): Promise<CheckOutcome>;
  diff(stored: ResourceValues, inputs: ResourceValues, isUnknown: (value: unknown) => boolean): DiffOutcome;
  /** Plan and cycle (or adopt, for an import); resolves to the instance ID and the new state. */
  create(request: ApplyRequest): Promise<{ id: string; state: ResourceValues }>;
  update(request: ApplyRequest): Promise<ResourceValues>;
  /** Live state for refresh and import; undefined when the instance is gone. */
  read(id: string, stored: ResourceValues, connection: AwsConnection): Promise<ReadOutcome | undefined>;
  /** Honours `onDelete`, restoring the setting from before the resource existed when asked to. */
  remove(state: ResourceValues, connection: AwsConnection, hooks?: OperationHooks): Promise<void>;

  /** The same operations on parsed inputs, for a front end that keeps its own value shapes. */
  inspectInstance(desired: DesiredState, connection: AwsConnection): Promise<Inspection>;
  applyDesired(desired: DesiredState, connection: AwsConnection, hooks?: OperationHooks): Promise<AppliedState>;
  readInstance(instanceId: string, connection: AwsConnection): Promise<EnablementState | undefined>;
  removeDesired(
    desired: DesiredState,
    previous: NestedVirtSetting | undefined,
    connection: AwsConnection,
    hooks?: OperationHooks,
  ): Promise<void>;

  /** No StopInstances from now on; cycles past their stop finish. */
  cancel(reason: string): void;
  /** Resolves once no cycle of this service is under way any more. */
  settled(): Promise<void>;
}

export interface ServiceOptions {
  /** The front end's engines, each on the Session it opened (engine-source.ts). */
  engines: EngineSource;
  control?: RunControl;
}

function containsUnknown(value: unknown, isUnknown: (value: unknown) => boolean): boolean {
  if (isUnknown(value)) return true;
  if (value && typeof value === "object") return Object.values(value).some((v) => containsUnknown(v, isUnknown));
  return false;
}

function desiredFrom(values: ResourceValues): DesiredState {
  const parsed = parseInputs(values as RawInputs);
  if (!parsed.desired) throw new InvalidInputsError(parsed.failures.map((f) => f.message));
  return parsed.desired;
}

/**
 * The preflight in `value` when it is current for `desired`. Its module is loaded only when a front
 * end sends one: it needs the gateway (and with it the AWS SDK), which Terraform's start must not load.
 */
function currentPreflight(value: unknown, desired: DesiredState): PreflightRecord | undefined {
  if (value === undefined) return undefined;
  const { currentPreflight: current } = require("./preflight-record") as typeof import("./preflight-record");
  return current(value, desired);
}

/** The DryRun verdicts of a current preflight, which spare the engine its own. */
function permittedBy(preflight: unknown, desired: DesiredState): ApplyOptions["permitted"] {
  const record = currentPreflight(preflight, desired);
  return record ? { checkedAt: Date.parse(record.checkedAt), actions: record.permitted } : undefined;
}

function importMismatch(importId: string, instanceId: string): string {
  return `The import ID ${importId} must be the instanceId (${instanceId}): an enablement is imported by its instance's ID.`;
}

export function createResourceService(options: ServiceOptions): ResourceService {
  const { engines } = options;
  const control = options.control ?? new RunControl();

  function engineFor(connection: AwsConnection, hooks: OperationHooks = {}): Promise<Engine> {
    const { status } = hooks;
    return engines(connection, status ? (instanceId, phase) => status(phaseStatus(instanceId, phase)) : undefined);
  }

  async function inspectInstance(desired: DesiredState, connection: AwsConnection): Promise<Inspection> {
    return (await engineFor(connection)).inspect(desired, { checkPermissions: true });
  }

  async function apply(
    desired: DesiredState,
    connection: AwsConnection,
    hooks?: OperationHooks,
    preflight?: unknown,
  ): Promise<AppliedState> {
    const engine = await engineFor(connection, hooks);
    const permitted = permittedBy(preflight, desired);
    return control.track((signal) => engine.apply(desired, { signal, permitted }));
  }

  async function removeDesired(
    desired: DesiredState,
    previous: NestedVirtSetting | undefined,
    connection: AwsConnection,
    hooks?: OperationHooks,
  ): Promise<void> {
    const engine = await engineFor(connection, hooks);
    await control.track((signal) => engine.remove(desired, previous, { signal }));
  }

  async function readInstance(instanceId: string, connection: AwsConnection): Promise<EnablementState | undefined> {
    return (await engineFor(connection)).read(instanceId);
  }

  return {
    async check(request) {
      const { inputs: news, isUnknown } = request;
      if (containsUnknown(news, isUnknown)) return { failures: [], warnings: [] };
      const parsed = parseInputs(news as RawInputs);
      const failures = parsed.failures.map((f) => ({ attribute: f.attribute.split(".")[0], message: f.message }));
      if (!parsed.desired) return { failures, warnings: [] };
      const desired = parsed.desired;
      const duplicate = await request.declaredAs?.declarations.declare({
        region: parsed.region,
        instanceId: desired.instanceId,
        resourceName: request.declaredAs.resourceName,
      });
      if (duplicate)
        return { failures: [...failures, { attribute: "instanceId", message: duplicate.message }], warnings: [] };
      if (request.importId !== undefined && request.importId !== desired.instanceId)
        failures.push({ attribute: "instanceId", message: importMismatch(request.importId, desired.instanceId) });
      const preflight = currentPreflight(request.preflight, desired);
      const { blockers, warnings } = preflight
        ? { blockers: preflight.blockers, warnings: [] }
        : await inspectInstance(desired, request.connection).then(({ plan }) => ({
            blockers: plan.blockers,
            warnings: plan.warnings.map((w) => w.message),
          }));
      for (const blocker of blockers)
        failures.push({ attribute: blocker.attribute ?? "instanceId", message: blocker.message });
      return { inputs: parsed.values as unknown as ResourceValues, failures, warnings };
    },

    diff: diffInputs,

    async create(request) {
      const desired = desiredFrom(request.inputs);
      const applied = request.adopt
        ? await (await engineFor(request.connection, request.hooks)).adopt(desired)
        : await apply(desired, request.connection, request.hooks, request.preflight);
      return { id: applied.instanceId, state: stateAfterApply(request.inputs, applied) };
    },

    async update(request) {
      const desired = desiredFrom(request.inputs);
      const applied = await apply(desired, request.connection, request.hooks, request.preflight);
      return stateAfterApply(request.inputs, applied, request.prior);
    },

    async read(id, stored, connection) {
      const live = await readInstance(id, connection);
      if (!live) return undefined;
      const known = stored.instanceId === id;
      // Refresh keeps the declared setting (drift then shows in the diff); import takes the live one.
      const declared = {
        ...stored,
        instanceId: id,
        nestedVirtualization: known ? stored.nestedVirtualization : live.nestedVirtualization,
      };
      const declaredParse = parseInputs(declared as RawInputs);
      const parsed: ParsedInputs = declaredParse.desired
        ? declaredParse
        : parseInputs({
            instanceId: id,
            nestedVirtualization: live.nestedVirtualization,
            region: declaredParse.region,
          });
      const inputs = parsed.values as unknown as ResourceValues;
      return { id, state: stateAfterRead(inputs, live, stored), ...(known ? {} : { inputs }) };
    },

    async remove(state, connection, hooks) {
      await removeDesired(desiredFrom(state), settingOf(state.previousNestedVirtualization), connection, hooks);
    },

    inspectInstance,
    applyDesired: (desired, connection, hooks) => apply(desired, connection, hooks),
    readInstance,
    removeDesired,

    cancel: (reason) => control.stop(reason),
    settled: () => control.settled(),
  };
}
