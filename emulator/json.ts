// Runtime checks for control-API JSON bodies (untrusted input from another process).

export type JsonObject = Record<string, unknown>;

export class BadRequest extends Error {}

export function asObject(value: unknown, what = "body"): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequest(`${what} must be a JSON object`);
  }
  return value as JsonObject;
}

export function optionalString(obj: JsonObject, key: string): string | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new BadRequest(`${key} must be a string`);
  return value;
}

export function requiredString(obj: JsonObject, key: string): string {
  const value = optionalString(obj, key);
  if (value === undefined) throw new BadRequest(`${key} is required`);
  return value;
}

export function optionalNumber(obj: JsonObject, key: string): number | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) throw new BadRequest(`${key} must be a number`);
  return value;
}

export function optionalBoolean(obj: JsonObject, key: string): boolean | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw new BadRequest(`${key} must be a boolean`);
  return value;
}

export function optionalStringArray(obj: JsonObject, key: string): string[] | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === "string")) {
    throw new BadRequest(`${key} must be an array of strings`);
  }
  return value;
}

export function optionalStringRecord(obj: JsonObject, key: string): Record<string, string> | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  const record = asObject(value, key);
  for (const [k, v] of Object.entries(record)) {
    if (typeof v !== "string") throw new BadRequest(`${key}.${k} must be a string`);
  }
  return record as Record<string, string>;
}

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], key: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new BadRequest(`${key} must be one of ${allowed.join(", ")}`);
  }
  return value as T;
}

export function requiredOneOf<T extends string>(obj: JsonObject, key: string, allowed: readonly T[]): T {
  const value = oneOf(requiredString(obj, key), allowed, key);
  if (value === undefined) throw new BadRequest(`${key} is required`);
  return value;
}
