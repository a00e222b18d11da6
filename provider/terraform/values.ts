import type { AppliedState } from "../engine/engine";
import { type InputFailure, type ParsedInputs, parseInputs, type RawInputs } from "../engine/inputs";
import { TIMING_FIELDS } from "../engine/schema";
import type { CycleTimings, EnablementState } from "../engine/types";
import { type CtyObject, type CtyValue, isObjectValue, Unknown } from "./protocol/cty";
import { TERRAFORM_ATTRIBUTES } from "./schema";

/** Conversions between the resource's Terraform object value and the engine's camelCase types. */

const INPUTS = TERRAFORM_ATTRIBUTES.filter((a) => a.spec.role === "input");

export interface ReadInputs {
  raw: RawInputs;
  /** Engine names (`instanceId`, `timeouts.stop`) whose value Terraform does not know yet. */
  unknown: Set<string>;
}

/** The engine's raw inputs from a config, plan or state object; null becomes "not set". */
export function inputsOf(value: CtyObject): ReadInputs {
  const raw: Record<string, unknown> = {};
  const unknown = new Set<string>();
  for (const { spec } of INPUTS) {
    const v = value[spec.tfName];
    if (v === Unknown) {
      unknown.add(spec.name);
    } else if (isObjectValue(v)) {
      const fields: Record<string, unknown> = {};
      for (const [field, fieldValue] of Object.entries(v)) {
        if (fieldValue === Unknown) unknown.add(`${spec.name}.${field}`);
        else if (fieldValue !== null) fields[field] = fieldValue;
      }
      raw[spec.name] = fields;
    } else if (v !== null && v !== undefined) {
      raw[spec.name] = v;
    }
  }
  return { raw: raw as RawInputs, unknown };
}

export interface Validation {
  parsed: ParsedInputs;
  /** Failures of known values only: an unknown value is judged when it becomes known. */
  failures: InputFailure[];
  /** Every input is known, so `parsed.desired` (when valid) is what apply will use. */
  known: boolean;
}

export function validate(value: CtyObject): Validation {
  const { raw, unknown } = inputsOf(value);
  const parsed = parseInputs(raw);
  const failures = parsed.failures.filter((f) => !unknown.has(f.attribute) && !unknown.has(f.attribute.split(".")[0]));
  return { parsed, failures, known: unknown.size === 0 };
}

/** Values an omitted optional input takes, by Terraform name. */
export function defaultsByTfName(): Record<string, CtyValue> {
  const out: Record<string, CtyValue> = {};
  for (const { spec } of INPUTS) if (spec.defaultValue !== undefined) out[spec.tfName] = spec.defaultValue;
  return out;
}

export function timingsValue(timings: CycleTimings | undefined): CtyValue {
  if (!timings) return null;
  const source = timings as unknown as Record<string, string | number | undefined>;
  return Object.fromEntries(TIMING_FIELDS.map((f) => [f.tfName, source[f.name] ?? null]));
}

/** The attributes the engine reports (live setting, type, state, warnings, last cycle), by Terraform name. */
export function stateValues(state: EnablementState | AppliedState): Record<string, CtyValue> {
  const source = state as unknown as Record<string, unknown>;
  const out: Record<string, CtyValue> = {};
  for (const { spec } of TERRAFORM_ATTRIBUTES) {
    if (!(spec.name in source) || spec.name === "instanceId") continue;
    const v = source[spec.name];
    if (spec.kind === "timings") out[spec.tfName] = timingsValue(v as CycleTimings | undefined);
    else if (spec.kind === "string-list") out[spec.tfName] = Array.isArray(v) ? v.map(String) : [];
    else out[spec.tfName] = v === undefined ? null : (v as CtyValue);
  }
  return out;
}

/** Terraform names of the attributes only the provider sets. */
export const COMPUTED_OUTPUTS = TERRAFORM_ATTRIBUTES.filter((a) => a.spec.role === "output").map((a) => a.spec.tfName);
