import { decode, ExtData, encode } from "@msgpack/msgpack";

/**
 * Terraform's value model (cty) as it crosses the plugin protocol: MessagePack for values, JSON
 * for types and for stored state. Only what a provider needs: decode what Terraform sends, encode
 * what it expects back, with unknown values ("known after apply") kept distinct from null.
 */

/** A cty type in its JSON form, exactly as the schema's `type` bytes and dynamic values carry it. */
export type CtyType =
  | "string"
  | "number"
  | "bool"
  | "dynamic"
  | readonly ["list", CtyType]
  | readonly ["set", CtyType]
  | readonly ["map", CtyType]
  | readonly ["object", { readonly [attribute: string]: CtyType }]
  | readonly ["tuple", readonly CtyType[]];

/** The value of something Terraform will only know after apply. Compare with `===`. */
export const Unknown: unique symbol = Symbol("cty.unknown");
export type UnknownValue = typeof Unknown;

/** A value of type `dynamic` carries its own concrete type. */
export class CtyDynamic {
  constructor(
    readonly type: CtyType,
    readonly value: CtyValue,
  ) {}
}

export interface CtyObject {
  readonly [attribute: string]: CtyValue;
}

/** Objects and maps are plain records; lists, sets and tuples are arrays. */
export type CtyValue = null | UnknownValue | string | number | boolean | readonly CtyValue[] | CtyObject | CtyDynamic;

export class CtyError extends Error {
  constructor(path: readonly (string | number)[], problem: string) {
    super(path.length > 0 ? `${formatPath(path)}: ${problem}` : problem);
    this.name = "CtyError";
  }
}

function formatPath(path: readonly (string | number)[]): string {
  return path.map((step, i) => (typeof step === "number" ? `[${step}]` : i === 0 ? step : `.${step}`)).join("");
}

// cty writes a wholly unknown value as fixext1 of extension type 0 with one zero byte; type 12
// carries refinements (not null, string prefix…), which this provider does not need and drops.
const UNKNOWN_EXT_TYPE = 0;
const UNKNOWN_WIRE = new ExtData(UNKNOWN_EXT_TYPE, new Uint8Array([0]));

type Path = readonly (string | number)[];
type Wire = unknown;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

export function isObjectValue(value: CtyValue | undefined): value is CtyObject {
  return isRecord(value) && !(value instanceof CtyDynamic);
}

function parseTypeJson(text: string, path: Path): CtyType {
  try {
    return JSON.parse(text) as CtyType;
  } catch {
    throw new CtyError(path, `dynamic value has an unreadable type ${JSON.stringify(text)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// MessagePack

export function decodeMsgpack(bytes: Uint8Array, type: CtyType): CtyValue {
  return fromWire(decode(bytes), type, []);
}

export function encodeMsgpack(value: CtyValue, type: CtyType): Uint8Array {
  // cty writes object attributes in sorted order; sorting keeps the bytes identical to Terraform's.
  return encode(toWire(value, type, []), { sortKeys: true });
}

/** How a serialization carries what JSON and msgpack do differently. */
interface Encoding {
  /** Unknown marker (msgpack extension values); JSON state holds no unknowns. */
  isUnknown(value: unknown): boolean;
  /** A dynamic value's concrete type and value. */
  dynamic(value: unknown, path: Path): { type: CtyType; value: unknown };
  /** Attributes the object type lacks: an error from Terraform (msgpack), dropped from stored state (JSON). */
  rejectsExtraAttributes: boolean;
}

const MSGPACK: Encoding = {
  // cty treats every extension value as unknown, whatever its type code.
  isUnknown: (value) => value instanceof ExtData,
  dynamic(wire, path) {
    if (!Array.isArray(wire) || wire.length !== 2) throw new CtyError(path, "dynamic value must be [type, value]");
    const typeText = wire[0] instanceof Uint8Array ? Buffer.from(wire[0]).toString("utf8") : String(wire[0]);
    return { type: parseTypeJson(typeText, path), value: wire[1] };
  },
  rejectsExtraAttributes: true,
};

const JSON_STATE: Encoding = {
  isUnknown: () => false,
  dynamic(json, path) {
    if (!isRecord(json) || !("type" in json)) throw new CtyError(path, 'dynamic JSON value must be {"value", "type"}');
    return { type: json.type as CtyType, value: json.value };
  },
  // Stored state may hold attributes an older schema had.
  rejectsExtraAttributes: false,
};

function decodeValue(value: unknown, type: CtyType, path: Path, encoding: Encoding): CtyValue {
  if (encoding.isUnknown(value)) return Unknown;
  if (value === null || value === undefined) return null;
  const recurse = (v: unknown, t: CtyType, p: Path): CtyValue => decodeValue(v, t, p, encoding);
  if (type === "dynamic") {
    const concrete = encoding.dynamic(value, path);
    return new CtyDynamic(concrete.type, recurse(concrete.value, concrete.type, path));
  }
  if (type === "number") return wireNumber(value, path);
  if (type === "string" || type === "bool") {
    if (typeof value !== (type === "bool" ? "boolean" : "string")) throw new CtyError(path, `${type} is required`);
    return value as string | boolean;
  }
  if (type[0] !== "object") return walkCollection(value, type, path, recurse, isRecord, () => "");
  const [kind, inner] = type;
  switch (kind) {
    case "object": {
      if (!isRecord(value)) throw new CtyError(path, "an object is required");
      if (encoding.rejectsExtraAttributes) {
        for (const key of Object.keys(value)) {
          if (!(key in inner)) throw new CtyError([...path, key], "unsupported attribute");
        }
      }
      const out: Record<string, CtyValue> = {};
      for (const [name, attributeType] of Object.entries(inner)) {
        out[name] = recurse(value[name], attributeType, [...path, name]);
      }
      return out;
    }
  }
}

function fromWire(wire: Wire, type: CtyType, path: Path): CtyValue {
  return decodeValue(wire, type, path, MSGPACK);
}

function wireNumber(wire: Wire, path: Path): number {
  if (typeof wire === "number") return wire;
  if (typeof wire === "bigint") return Number(wire);
  // Numbers that fit neither int64 nor float64 exactly travel as decimal strings.
  if (typeof wire === "string" && wire.trim() !== "" && Number.isFinite(Number(wire))) return Number(wire);
  throw new CtyError(path, "number is required");
}

function toWire(value: CtyValue, type: CtyType, path: Path): Wire {
  if (value === Unknown) return UNKNOWN_WIRE;
  if (value === null) return null;
  if (type === "dynamic") {
    if (!(value instanceof CtyDynamic)) throw new CtyError(path, "a value of type dynamic must be a CtyDynamic");
    return [Buffer.from(JSON.stringify(value.type), "utf8"), toWire(value.value, value.type, path)];
  }
  if (value instanceof CtyDynamic) throw new CtyError(path, "CtyDynamic given where a concrete type is expected");
  switch (type) {
    case "string":
      if (typeof value !== "string") throw new CtyError(path, `string is required, got ${describe(value)}`);
      return value;
    case "bool":
      if (typeof value !== "boolean") throw new CtyError(path, `bool is required, got ${describe(value)}`);
      return value;
    case "number":
      if (typeof value !== "number" || Number.isNaN(value))
        throw new CtyError(path, `number is required, got ${describe(value)}`);
      return value;
  }
  if (type[0] !== "object")
    return walkCollection(value, type, path, toWire, isObjectValue, (v: CtyValue) => `, got ${describe(v)}`);
  const [kind, inner] = type;
  switch (kind) {
    case "object": {
      if (!isObjectValue(value)) throw new CtyError(path, `an object is required, got ${describe(value)}`);
      for (const key of Object.keys(value)) {
        if (!(key in inner)) throw new CtyError([...path, key], "attribute is not in the type");
      }
      // cty rejects an object message that lacks any attribute of its type, so absent ones become null.
      const out: Record<string, Wire> = {};
      for (const [name, attributeType] of Object.entries(inner)) {
        out[name] = toWire(value[name] ?? null, attributeType, [...path, name]);
      }
      return out;
    }
  }
}

type CollectionType = Extract<CtyType, readonly ["list" | "set" | "tuple" | "map", unknown]>;

/**
 * The list, set, tuple and map arms of the decoder and the encoder: check the collection's shape
 * (`isMap` for a map; `got` appends what was given to the list, set and map errors), then `visit`
 * each element with its type and path.
 */
function walkCollection<V, E, Out>(
  value: V,
  type: CollectionType,
  path: Path,
  visit: (element: E, type: CtyType, path: Path) => Out,
  isMap: (value: V) => boolean,
  got: (value: V) => string,
): Out[] | Record<string, Out> {
  const [kind, inner] = type;
  switch (kind) {
    case "list":
    case "set":
      if (!Array.isArray(value)) throw new CtyError(path, `a ${kind} is required${got(value)}`);
      return value.map((element: E, i: number) => visit(element, inner, [...path, i]));
    case "tuple":
      if (!Array.isArray(value) || value.length !== inner.length)
        throw new CtyError(path, `a tuple of length ${inner.length} is required`);
      return value.map((element: E, i: number) => visit(element, inner[i], [...path, i]));
    case "map": {
      if (!isMap(value)) throw new CtyError(path, `a map is required${got(value)}`);
      const out: Record<string, Out> = {};
      for (const [key, element] of Object.entries(value as Record<string, E>))
        out[key] = visit(element, inner, [...path, key]);
      return out;
    }
  }
}

function describe(value: CtyValue): string {
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}

// ---------------------------------------------------------------------------------------------
// JSON (stored state handed to UpgradeResourceState; DynamicValue.json). JSON has no unknowns.

export function decodeJson(bytes: Uint8Array | string, type: CtyType): CtyValue {
  const text = typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8");
  return fromJson(JSON.parse(text) as unknown, type, []);
}

export function fromJson(json: unknown, type: CtyType, path: Path = []): CtyValue {
  return decodeValue(json, type, path, JSON_STATE);
}

// ---------------------------------------------------------------------------------------------
// Helpers for planning

/** Structural equality; an unknown equals only another unknown (same as "not yet different"). */
export function ctyEqual(a: CtyValue, b: CtyValue): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === Unknown || b === Unknown) return false;
  if (a instanceof CtyDynamic || b instanceof CtyDynamic) {
    return (
      a instanceof CtyDynamic &&
      b instanceof CtyDynamic &&
      JSON.stringify(a.type) === JSON.stringify(b.type) &&
      ctyEqual(a.value, b.value)
    );
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((element: CtyValue, i: number) => ctyEqual(element, b[i]))
    );
  }
  if (isObjectValue(a) && isObjectValue(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => ctyEqual(a[key] ?? null, b[key] ?? null));
  }
  return false;
}
