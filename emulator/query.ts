// EC2 Query protocol request parameters: a flat map of dotted names,
// e.g. InstanceId.1, Filter.1.Name, Filter.1.Value.2, Tag.3.Key.

import { Ec2Error } from "./errors";

export type QueryParams = ReadonlyMap<string, string>;

export function parseForm(body: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(body)) params.set(key, value);
  return params;
}

/** Values of `Prefix.1`, `Prefix.2`, ... in numeric order (gaps allowed, as EC2 does). */
export function listParam(params: QueryParams, prefix: string): string[] {
  return indexedKeys(params, prefix).map(({ key }) => params.get(key) ?? "");
}

/** Indices N present as `Prefix.N` or `Prefix.N.<anything>`, ascending. */
export function memberIndices(params: QueryParams, prefix: string): number[] {
  const indices = new Set<number>();
  const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.(\\d+)(\\.|$)`);
  for (const key of params.keys()) {
    const match = pattern.exec(key);
    if (match) indices.add(Number(match[1]));
  }
  return [...indices].sort((a, b) => a - b);
}

function indexedKeys(params: QueryParams, prefix: string): { index: number; key: string }[] {
  const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.(\\d+)$`);
  const found: { index: number; key: string }[] = [];
  for (const key of params.keys()) {
    const match = pattern.exec(key);
    if (match) found.push({ index: Number(match[1]), key });
  }
  return found.sort((a, b) => a.index - b.index);
}

export interface QueryFilter {
  name: string;
  values: string[];
}

export function filtersParam(params: QueryParams): QueryFilter[] {
  return memberIndices(params, "Filter").map((n) => ({
    name: params.get(`Filter.${n}.Name`) ?? "",
    values: listParam(params, `Filter.${n}.Value`),
  }));
}

export interface QueryTag {
  key: string;
  /** undefined when the caller omitted Tag.N.Value (DeleteTags then ignores the value). */
  value: string | undefined;
}

export function tagsParam(params: QueryParams): QueryTag[] {
  return memberIndices(params, "Tag").map((n) => ({
    key: params.get(`Tag.${n}.Key`) ?? "",
    value: params.get(`Tag.${n}.Value`),
  }));
}

export function booleanParam(params: QueryParams, name: string): boolean {
  const raw = params.get(name);
  if (raw === undefined) return false;
  if (raw === "true" || raw === "false") return raw === "true";
  throw new Ec2Error("InvalidParameterValue", `Value (${raw}) for parameter ${name} is invalid. Expected a boolean.`);
}

export function integerParam(params: QueryParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw)) {
    throw new Ec2Error(
      "InvalidParameterValue",
      `Value (${raw}) for parameter ${name} is invalid. Expected an integer.`,
    );
  }
  return Number(raw);
}

export function requiredParam(params: QueryParams, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === "") {
    throw new Ec2Error("MissingParameter", `The request must contain the parameter ${name}`);
  }
  return value;
}

/** EC2 filter values accept `*` and `?` wildcards. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const source = [...pattern].map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : escapeRegExp(ch))).join("");
  return new RegExp(`^${source}$`, "s").test(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
