import { expect } from "chai";

type Schema = { properties?: Record<string, Schema>; required?: string[]; anyOf?: Schema[]; items?: Schema };

/**
 * The part of JSON Schema the CLI's document schema uses for its shape: every key of `value` is
 * described and every required key is present, all the way down (values' types are not checked).
 */
export function conformsToSchema(value: unknown, schema: object, where = "document"): void {
  const described = schema as Schema;
  if (value === null) return;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) conformsToSchema(item, described.items ?? {}, `${where}[${i}]`);
    return;
  }
  const objectSchema = described.anyOf ? described.anyOf.find((s) => s.properties) : described;
  if (typeof value !== "object" || !objectSchema?.properties) return;
  const properties = objectSchema.properties;
  const keys = Object.keys(value as object);
  expect(
    keys.filter((k) => !properties[k]),
    `${where}: keys the schema does not describe`,
  ).to.deep.equal([]);
  expect(
    (objectSchema.required ?? []).filter((k) => !keys.includes(k)),
    `${where}: required keys missing`,
  ).to.deep.equal([]);
  for (const key of keys) conformsToSchema((value as Record<string, unknown>)[key], properties[key], `${where}.${key}`);
}
