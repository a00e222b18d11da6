import {
  type AttributeSpec,
  attribute,
  DEFAULT_WAIT_TIMEOUT,
  INPUT_ATTRIBUTES,
  type InputName,
  MAX_WAIT_SECONDS,
  MIN_WAIT_SECONDS,
  TIMEOUT_FIELDS,
} from "./schema";
import type { DesiredState } from "./types";

/** Inputs as a front end receives them: anything may be missing or of the wrong type. */
export type RawInputs = { [N in InputName]?: unknown };

/** A problem with one input, reported against that input (Pulumi check failure, Terraform diagnostic). */
export interface InputFailure {
  /** Attribute name in camelCase; sub-fields as `timeouts.stop`. */
  attribute: string;
  message: string;
}

export interface ParsedInputs {
  desired?: DesiredState;
  region?: string;
  /** Every valid input in its declared form with defaults applied (timeouts as written), by engine name. */
  values: Record<string, unknown>;
  failures: InputFailure[];
}

const DURATION_PART = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;
const DURATION = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s))+$/;
const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };

const INSTANCE_ID_FORMAT = attribute("instanceId").format;

export function isInstanceId(value: string): boolean {
  return INSTANCE_ID_FORMAT?.pattern.test(value) === true;
}

/** Parses a Go-style duration (`90s`, `10m`, `1h30m`) into seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let seconds = 0;
  for (const match of text.matchAll(DURATION_PART)) {
    seconds += Number(match[1]) * UNIT_SECONDS[match[2]];
  }
  return seconds;
}

const isUnset = (raw: unknown): boolean => raw === undefined || raw === null || raw === "";

/** One input's parsed value: `declared` as the user would write it, `engine` as the engine uses it. */
interface Parsed {
  declared: unknown;
  engine: unknown;
}

type Fail = (message: string, field?: string) => void;

function parseTimeouts(raw: unknown, fail: Fail): Parsed | undefined {
  if (!isUnset(raw) && (typeof raw !== "object" || Array.isArray(raw))) {
    const names = TIMEOUT_FIELDS.map((f) => `"${f.name}"`).join(" and ");
    fail(`timeouts must be an object with optional ${names} durations; got ${JSON.stringify(raw)}.`);
    return undefined;
  }
  const fields = (raw ?? {}) as Record<string, unknown>;
  const declared: Record<string, string> = {};
  const engine: Record<string, number> = {};
  for (const { name } of TIMEOUT_FIELDS) {
    const text = isUnset(fields[name]) ? DEFAULT_WAIT_TIMEOUT : fields[name];
    const seconds = typeof text === "string" ? parseDuration(text) : undefined;
    if (seconds === undefined || seconds < MIN_WAIT_SECONDS || seconds > MAX_WAIT_SECONDS) {
      fail(
        `timeouts.${name} must be a duration from ${MIN_WAIT_SECONDS}s to ${MAX_WAIT_SECONDS / 3600}h such as "90s", "10m" or "1h"; got ${JSON.stringify(fields[name])}.`,
        name,
      );
      continue;
    }
    declared[name] = text as string;
    engine[`${name}Seconds`] = seconds;
  }
  return { declared, engine };
}

function parseString(spec: AttributeSpec, raw: unknown, fail: Fail): Parsed | undefined {
  const { enumValues, format } = spec;
  if (enumValues) {
    if (typeof raw === "string" && enumValues.includes(raw)) return { declared: raw, engine: raw };
    fail(`${spec.name} must be one of ${enumValues.map((v) => `"${v}"`).join(", ")}; got ${JSON.stringify(raw)}.`);
    return undefined;
  }
  // An ID or region with spaces around it is a copy-paste slip, not a different value: say so rather
  // than trim it, so the value Terraform and Pulumi store is exactly the one written.
  if (format && typeof raw === "string" && raw !== raw.trim() && format.pattern.test(raw.trim())) {
    fail(`${spec.name} ${JSON.stringify(raw)} has spaces around it; write ${JSON.stringify(raw.trim())}.`);
    return undefined;
  }
  if (typeof raw === "string" && (!format || format.pattern.test(raw))) return { declared: raw, engine: raw };
  const expected = format
    ? `${format.noun}${format.rule ? `: expected ${format.rule},` : ""} such as ${format.example}`
    : "a string";
  fail(`${spec.name} ${JSON.stringify(raw)} is not ${expected}.`);
  return undefined;
}

function parseAttribute(spec: AttributeSpec, raw: unknown, fail: Fail): Parsed | undefined {
  if (spec.kind === "timeouts") return parseTimeouts(raw, fail);
  if (isUnset(raw)) {
    if (spec.required) {
      const example = spec.format ? `: ${spec.format.noun}, such as ${spec.format.example}` : "";
      fail(`${spec.name} is required${example}.`);
    }
    return spec.defaultValue === undefined ? undefined : { declared: spec.defaultValue, engine: spec.defaultValue };
  }
  switch (spec.kind) {
    case "string":
      return parseString(spec, raw, fail);
    case "bool":
      if (typeof raw === "boolean") return { declared: raw, engine: raw };
      fail(`${spec.name} must be true or false; got ${JSON.stringify(raw)}.`);
      return undefined;
    case "number": {
      const range = spec.integerRange;
      const fits = range ? Number.isInteger(raw) && (raw as number) >= range.min && (raw as number) <= range.max : true;
      if (typeof raw === "number" && Number.isFinite(raw) && fits) return { declared: raw, engine: raw };
      const expected = range ? `a whole number from ${range.min} to ${range.max}` : "a number";
      fail(`${spec.name} must be ${expected}; got ${JSON.stringify(raw)}.`);
      return undefined;
    }
    case "string-list":
      if (Array.isArray(raw) && raw.every((v) => typeof v === "string")) return { declared: raw, engine: raw };
      fail(`${spec.name} must be a list of strings; got ${JSON.stringify(raw)}.`);
      return undefined;
    default:
      fail(`${spec.name} is computed by the provider and cannot be set.`);
      return undefined;
  }
}

/**
 * Validates the user's inputs against the schema (schema.ts) and applies its defaults. Pure: no
 * I/O, so every front end can run it before touching any instance.
 */
export function parseInputs(raw: RawInputs): ParsedInputs {
  const failures: InputFailure[] = [];
  const values: Record<string, unknown> = {};
  const engine: Record<string, unknown> = {};
  for (const spec of INPUT_ATTRIBUTES) {
    const fail: Fail = (message, field) =>
      failures.push({ attribute: field ? `${spec.name}.${field}` : spec.name, message });
    const parsed = parseAttribute(spec, (raw as Record<string, unknown>)[spec.name], fail);
    if (parsed === undefined) continue;
    values[spec.name] = parsed.declared;
    if (!spec.selectsConnection) engine[spec.name] = parsed.engine;
  }
  applyDeprecatedAutoScalingAlias(raw, values, engine, failures);
  const region = typeof values.region === "string" ? values.region : undefined;
  if (failures.length > 0) return { failures, region, values };
  return { failures, region, values, desired: engine as unknown as DesiredState };
}

/**
 * `allowAutoScalingGroupMember = true` (deprecated) means `autoScaling = "allow"`, so programs and
 * state written before `autoScaling` keep their meaning; with another explicit choice it is an error.
 */
function applyDeprecatedAutoScalingAlias(
  raw: RawInputs,
  values: Record<string, unknown>,
  engine: Record<string, unknown>,
  failures: InputFailure[],
): void {
  if (raw.allowAutoScalingGroupMember !== true) return;
  const chosen = raw.autoScaling;
  if (isUnset(chosen) || chosen === "allow") {
    values.autoScaling = "allow";
    engine.autoScaling = "allow";
    return;
  }
  if (typeof chosen !== "string" || !attribute("autoScaling").enumValues?.includes(chosen)) return;
  failures.push({
    attribute: "autoScaling",
    message: `autoScaling "${chosen}" conflicts with the deprecated allowAutoScalingGroupMember = true, which means autoScaling "allow". Remove allowAutoScalingGroupMember and keep autoScaling "${chosen}".`,
  });
}
