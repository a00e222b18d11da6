import { DEFAULT_WAIT_TIMEOUT } from "./schema";
import type { DesiredState, NestedVirtSetting, OnDeleteBehaviour } from "./types";

/** Inputs as a front end receives them: anything may be missing or of the wrong type. */
export interface RawInputs {
  instanceId?: unknown;
  nestedVirtualization?: unknown;
  region?: unknown;
  allowAutoScalingGroupMember?: unknown;
  onDelete?: unknown;
  timeouts?: unknown;
  waitForStatusChecks?: unknown;
  rolloutGroup?: unknown;
  maxUnavailable?: unknown;
}

/** A problem with one input, reported against that input (Pulumi check failure, Terraform diagnostic). */
export interface InputFailure {
  /** Attribute name in camelCase; sub-fields as `timeouts.stop`. */
  attribute: string;
  message: string;
}

export interface ParsedInputs {
  desired?: DesiredState;
  region?: string;
  failures: InputFailure[];
}

const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;
const DURATION = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s))+$/;
const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
const MAX_WAIT_SECONDS = 24 * 3600;

export function isInstanceId(value: string): boolean {
  return INSTANCE_ID.test(value);
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

function parseTimeout(raw: unknown, field: "stop" | "start" | "healthy", failures: InputFailure[]): number {
  const text = raw === undefined || raw === null || raw === "" ? DEFAULT_WAIT_TIMEOUT : raw;
  const seconds = typeof text === "string" ? parseDuration(text) : undefined;
  if (seconds === undefined || seconds <= 0 || seconds > MAX_WAIT_SECONDS) {
    failures.push({
      attribute: `timeouts.${field}`,
      message: `timeouts.${field} must be a duration between 1s and 24h such as "90s", "10m" or "1h"; got ${JSON.stringify(raw)}.`,
    });
    return 0;
  }
  return seconds;
}

function enumValue<T extends string>(
  raw: unknown,
  attribute: string,
  allowed: readonly T[],
  fallback: T,
  failures: InputFailure[],
): T {
  if (raw === undefined || raw === null || raw === "") return fallback;
  if (typeof raw === "string" && (allowed as readonly string[]).includes(raw)) return raw as T;
  failures.push({
    attribute,
    message: `${attribute} must be one of ${allowed.map((v) => `"${v}"`).join(", ")}; got ${JSON.stringify(raw)}.`,
  });
  return fallback;
}

/**
 * Validates the user's inputs and applies the schema defaults. Pure: no I/O, so every front end
 * can run it before touching any instance.
 */
export function parseInputs(raw: RawInputs): ParsedInputs {
  const failures: InputFailure[] = [];
  const instanceId = typeof raw.instanceId === "string" ? raw.instanceId.trim() : "";
  if (!isInstanceId(instanceId)) {
    failures.push({
      attribute: "instanceId",
      message:
        raw.instanceId === undefined || raw.instanceId === null || raw.instanceId === ""
          ? "instanceId is required: the ID of the EC2 instance to configure, such as i-0123456789abcdef0."
          : `instanceId ${JSON.stringify(raw.instanceId)} is not an EC2 instance ID: expected "i-" followed by 8 or 17 lowercase hex digits, such as i-0123456789abcdef0.`,
    });
  }
  const nestedVirtualization = enumValue<NestedVirtSetting>(
    raw.nestedVirtualization,
    "nestedVirtualization",
    ["enabled", "disabled"],
    "enabled",
    failures,
  );
  const onDelete = enumValue<OnDeleteBehaviour>(raw.onDelete, "onDelete", ["keep", "restore"], "keep", failures);

  let allowAutoScalingGroupMember = false;
  if (raw.allowAutoScalingGroupMember !== undefined && raw.allowAutoScalingGroupMember !== null) {
    if (typeof raw.allowAutoScalingGroupMember === "boolean") {
      allowAutoScalingGroupMember = raw.allowAutoScalingGroupMember;
    } else {
      failures.push({
        attribute: "allowAutoScalingGroupMember",
        message: `allowAutoScalingGroupMember must be true or false; got ${JSON.stringify(raw.allowAutoScalingGroupMember)}.`,
      });
    }
  }

  let region: string | undefined;
  if (raw.region !== undefined && raw.region !== null && raw.region !== "") {
    if (typeof raw.region === "string" && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(raw.region)) {
      region = raw.region;
    } else {
      failures.push({
        attribute: "region",
        message: `region ${JSON.stringify(raw.region)} is not an AWS region name such as us-east-1.`,
      });
    }
  }

  const timeouts = raw.timeouts ?? {};
  let stopSeconds = 0;
  let startSeconds = 0;
  let healthySeconds = 0;
  if (typeof timeouts !== "object" || Array.isArray(timeouts)) {
    failures.push({
      attribute: "timeouts",
      message: `timeouts must be an object with optional "stop" and "start" durations; got ${JSON.stringify(timeouts)}.`,
    });
  } else {
    const fields = timeouts as { stop?: unknown; start?: unknown; healthy?: unknown };
    stopSeconds = parseTimeout(fields.stop, "stop", failures);
    startSeconds = parseTimeout(fields.start, "start", failures);
    healthySeconds = parseTimeout(fields.healthy, "healthy", failures);
  }

  if (failures.length > 0) return { failures, region };
  return {
    failures,
    region,
    desired: {
      instanceId,
      nestedVirtualization,
      allowAutoScalingGroupMember,
      onDelete,
      timeouts: { stopSeconds, startSeconds, healthySeconds },
      waitForStatusChecks: raw.waitForStatusChecks === true,
      ...(typeof raw.rolloutGroup === "string" && raw.rolloutGroup !== "" ? { rolloutGroup: raw.rolloutGroup } : {}),
      maxUnavailable: typeof raw.maxUnavailable === "number" ? raw.maxUnavailable : 1,
    },
  };
}
