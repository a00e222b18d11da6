import { parseInputs, type RawInputs } from "../engine/inputs";
import {
  attribute,
  DEFAULT_WAIT_TIMEOUT,
  type InputName,
  MAX_WAIT_SECONDS,
  MIN_WAIT_SECONDS,
  TIMEOUT_FIELDS,
} from "../engine/schema";
import type { DesiredState } from "../engine/types";
import { UsageError } from "./exit";

/**
 * How each input of the resource schema (provider/engine/schema.ts) reaches the command line. The
 * record is keyed by every input name, so a new attribute fails the build until it is placed here.
 */
type InputPlacement = { flag: string } | { notAFlag: string };

export const INPUT_PLACEMENT: Record<InputName, InputPlacement> = {
  instanceId: { notAFlag: "the targets: instance IDs, --filter or --auto-scaling-group" },
  nestedVirtualization: { flag: "--disable" },
  region: { flag: "--region" },
  allowAutoScalingGroupMember: { notAFlag: 'deprecated: --auto-scaling allow sets autoScaling "allow"' },
  autoScaling: { flag: "--auto-scaling" },
  stopProtection: { flag: "--stop-protection" },
  onDelete: { notAFlag: "nothing is deleted; `apply --disable` turns the option off again" },
  timeouts: { flag: "--timeout" },
  waitForStatusChecks: { flag: "--wait-for-status-checks" },
  verifyInGuest: { flag: "--verify-in-guest" },
  rolloutGroup: { notAFlag: "every run is one rollout group of its own" },
  maxUnavailable: { flag: "--max-unavailable" },
};

const MAX_UNAVAILABLE = attribute("maxUnavailable");
const NESTED = attribute("nestedVirtualization");

/**
 * The choices of `--auto-scaling` and `--stop-protection`: what each asks of the engine, or what
 * the engine still lacks for it. A choice becomes real by replacing its `missing` with `inputs`.
 */
type Choice = { inputs: RawInputs } | { missing: string; awaits: string };

export const AUTO_SCALING_CHOICES: Record<"allow" | "standby", Choice> = {
  allow: { inputs: { autoScaling: "allow" } },
  standby: { inputs: { autoScaling: "standby" } },
};

export const STOP_PROTECTION_CHOICES: Record<"lift", Choice> = {
  lift: { inputs: { stopProtection: "lift" } },
};

/** "allow, or standby (not yet: issue #20)": the choices, saying which the engine cannot do yet. */
function choiceList(table: Record<string, Choice>): string {
  return Object.entries(table)
    .map(([name, choice]) => ("missing" in choice ? `${name} (not yet: ${choice.awaits})` : name))
    .join(", or ");
}

/** Flag help, with defaults and bounds taken from the schema. */
export const FLAG_HELP = {
  disable: `set NestedVirtualization=disabled instead of ${NESTED.defaultValue}`,
  region: "AWS region (default: AWS_REGION or the profile's region)",
  profile: "AWS profile of the shared config and credentials files (default: AWS_PROFILE)",
  autoScaling: `cycle members of Auto Scaling groups: ${choiceList(AUTO_SCALING_CHOICES)} (default: members are blockers)`,
  stopProtection: `instances with stop protection: ${choiceList(STOP_PROTECTION_CHOICES)} (default: they are blockers)`,
  timeout: `bound of a wait, FIELD=DURATION with FIELD one of ${TIMEOUT_FIELDS.map((f) => f.name).join(", ")} (each ${MIN_WAIT_SECONDS}s to ${MAX_WAIT_SECONDS / 3600}h, default ${DEFAULT_WAIT_TIMEOUT}); repeatable or comma-separated`,
  waitForStatusChecks:
    "an instance counts as back only once its instance and system status checks are ok (bounded by --timeout healthy=…)",
  verifyInGuest:
    "after the start, check inside each instance with SSM Run Command that it can run a hypervisor (/dev/kvm and vmx; on Windows virtualization firmware); needs a managed SSM agent, bounded by --timeout healthy=…",
  maxUnavailable: `the most instances out of service at once (${MAX_UNAVAILABLE.integerRange?.min} to ${MAX_UNAVAILABLE.integerRange?.max}, default ${MAX_UNAVAILABLE.defaultValue})`,
} as const;

/** The options commander hands over, as the flags spell them. */
export interface ChoiceFlags {
  disable?: boolean;
  region?: string;
  autoScaling?: string;
  stopProtection?: string;
  timeout?: string[];
  waitForStatusChecks?: boolean;
  verifyInGuest?: boolean;
  maxUnavailable?: string;
}

function chosen(flag: string, table: Record<string, Choice>, value: string | undefined): RawInputs {
  if (value === undefined) return {};
  const choice = table[value];
  if (!choice) throw new UsageError(`${flag} ${value}: choose one of ${Object.keys(table).join(", ")}.`);
  if ("missing" in choice) throw new UsageError(`${flag} ${value} is not available: ${choice.missing}.`);
  return choice.inputs;
}

function timeoutInputs(texts: readonly string[] | undefined): Record<string, string> | undefined {
  if (!texts || texts.length === 0) return undefined;
  const names = TIMEOUT_FIELDS.map((f) => f.name) as readonly string[];
  const out: Record<string, string> = {};
  for (const part of texts.flatMap((t) => t.split(","))) {
    const [field, duration, ...rest] = part.split("=");
    if (!names.includes(field) || duration === undefined || rest.length > 0) {
      throw new UsageError(
        `--timeout ${JSON.stringify(part)}: write FIELD=DURATION with FIELD one of ${names.join(", ")}, for example --timeout stop=15m.`,
      );
    }
    out[field] = duration;
  }
  return out;
}

/** The schema's inputs the flags ask for, before any instance is known. */
export function rawInputsOf(flags: ChoiceFlags): RawInputs {
  const maxUnavailable = flags.maxUnavailable;
  return {
    nestedVirtualization: flags.disable ? "disabled" : NESTED.defaultValue,
    ...(flags.region !== undefined ? { region: flags.region } : {}),
    waitForStatusChecks: flags.waitForStatusChecks === true,
    verifyInGuest: flags.verifyInGuest === true,
    // A number only when it is written as one: "2.5" or "five" reach the schema's own message.
    ...(maxUnavailable !== undefined
      ? { maxUnavailable: /^\d+$/.test(maxUnavailable) ? Number(maxUnavailable) : maxUnavailable }
      : {}),
    ...(flags.timeout ? { timeouts: timeoutInputs(flags.timeout) } : {}),
    ...chosen("--auto-scaling", AUTO_SCALING_CHOICES, flags.autoScaling),
    ...chosen("--stop-protection", STOP_PROTECTION_CHOICES, flags.stopProtection),
  };
}

/** The flag an input's failure is about, for messages: `maxUnavailable must…` → `--max-unavailable: …`. */
function flagFor(attributePath: string): string {
  const name = attributePath.split(".")[0] as InputName;
  const placement = INPUT_PLACEMENT[name];
  return placement && "flag" in placement ? placement.flag : name;
}

/**
 * Validates the flags through the schema's own parser (an example ID stands in for the instance),
 * so the command line accepts and refuses exactly what Pulumi and Terraform do.
 */
export function validateFlags(flags: ChoiceFlags): { raw: RawInputs; region?: string } {
  const raw = rawInputsOf(flags);
  const example = attribute("instanceId").format?.example ?? "";
  const parsed = parseInputs({ ...raw, instanceId: example });
  if (parsed.failures.length > 0) {
    throw new UsageError(parsed.failures.map((f) => `${flagFor(f.attribute)}: ${f.message}`).join("\n"));
  }
  return { raw, ...(parsed.region ? { region: parsed.region } : {}) };
}

/** The engine's desired state for one instance, from validated flags. */
export function desiredFor(raw: RawInputs, instanceId: string, overrides: RawInputs = {}): DesiredState {
  const parsed = parseInputs({ ...raw, ...overrides, instanceId });
  if (!parsed.desired) throw new UsageError(parsed.failures.map((f) => f.message).join("\n"));
  return parsed.desired;
}
