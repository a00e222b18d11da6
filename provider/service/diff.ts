import { INPUT_ATTRIBUTES, REPLACING_ATTRIBUTES } from "../engine/schema";
import type { DiffOutcome, ResourceValues } from "./types";

function changed(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);
}

/** State written before `autoScaling` existed: its deprecated allowAutoScalingGroupMember says what it meant. */
function withAutoScaling(stored: ResourceValues): ResourceValues {
  return stored.autoScaling === undefined
    ? { ...stored, autoScaling: stored.allowAutoScalingGroupMember === true ? "allow" : "refuse" }
    : stored;
}

/**
 * Which declared inputs change between the stored state and the new inputs. Only the schema's
 * inputs count: the connection and a front end's own bookkeeping never diff. A value not known yet
 * counts as a change.
 */
export function diffInputs(
  stored: ResourceValues,
  news: ResourceValues,
  isUnknown: (value: unknown) => boolean,
): DiffOutcome {
  const olds = withAutoScaling(stored);
  const names = INPUT_ATTRIBUTES.map((a) => a.name);
  const diffs = names.filter((name) => isUnknown(news[name]) || changed(olds[name], news[name]));
  const replaces = diffs.filter((name) => REPLACING_ATTRIBUTES.includes(name));
  return { changes: diffs.length > 0, diffs, replaces };
}
