/**
 * The one description of the `NestedVirtEnablement` resource: its attributes, their types,
 * defaults, validation and meaning. Input parsing (inputs.ts), the Pulumi provider, the Terraform
 * schema, the CDKTF binding, the generated docs and the engine's `DesiredState` type all derive
 * from this table: adding an attribute is one entry here (plus what it means to the engine).
 */

export type AttributeKind = "string" | "bool" | "number" | "string-list" | "timings" | "timeouts";

/** A string input that must match a pattern, with the words its error message uses. */
export interface StringFormat {
  readonly pattern: RegExp;
  /** What the value is, for messages: "an EC2 instance ID". */
  readonly noun: string;
  /** The rule spelled out, for messages: `"i-" followed by 8 or 17 lowercase hex digits`. */
  readonly rule?: string;
  readonly example: string;
}

export interface AttributeSpec {
  /** Name in Pulumi programs and in the engine (camelCase). */
  readonly name: string;
  /** Name in Terraform configurations (snake_case). */
  readonly tfName: string;
  readonly kind: AttributeKind;
  /** `input`: set by the user; `output`: computed by the provider. Inputs are also outputs. */
  readonly role: "input" | "output";
  readonly required?: boolean;
  /** A change of this input means a different instance: the resource is replaced. */
  readonly forcesReplacement?: boolean;
  readonly enumValues?: readonly string[];
  /** Value of an omitted input; parseInputs applies it and the docs show it. */
  readonly defaultValue?: string | boolean | number;
  /** Docs wording for a default that is not a constant (the region comes from the provider). */
  readonly defaultText?: string;
  readonly format?: StringFormat;
  /** A number input that must be a whole number within these bounds. */
  readonly integerRange?: { readonly min: number; readonly max: number };
  /** Chooses where EC2 is reached (the region) rather than what the engine does: not in `DesiredState`. */
  readonly selectsConnection?: boolean;
  /** Kept for old programs and state only: what to use instead (Terraform warns, Pulumi SDKs mark it). */
  readonly deprecation?: string;
  readonly description: string;
}

export const RESOURCE_TYPE_NAME = "nestedvirt_enablement";

export const DEFAULT_WAIT_TIMEOUT = "10m";

/** Bounds of every wait timeout, in seconds. */
export const MIN_WAIT_SECONDS = 1;
export const MAX_WAIT_SECONDS = 24 * 3600;

/** Sub-fields of the `timeouts` input; each defaults to DEFAULT_WAIT_TIMEOUT. */
export const TIMEOUT_FIELDS = [
  {
    name: "stop",
    description: "How long to wait for the instance to reach `stopped`. Go-style duration (`90s`, `10m`, `1h`).",
  },
  { name: "start", description: "How long to wait for the instance to reach `running` again. Go-style duration." },
  {
    name: "healthy",
    description:
      "How long to wait for both status checks to be `ok` after the start (only with `waitForStatusChecks`), and, after that, for the in-guest check to finish (only with `verifyInGuest`). Go-style duration.",
  },
] as const;

/** Sub-fields of the `lastCycle` output; `optional` ones are absent when the cycle had no stop or start. */
export const TIMING_FIELDS = [
  {
    name: "stoppedAt",
    tfName: "stopped_at",
    kind: "string",
    optional: true,
    description: "When the instance reached `stopped` (ISO 8601); empty when it was already stopped.",
  },
  {
    name: "modifiedAt",
    tfName: "modified_at",
    kind: "string",
    description: "When ModifyInstanceCpuOptions succeeded (ISO 8601).",
  },
  {
    name: "startedAt",
    tfName: "started_at",
    kind: "string",
    optional: true,
    description: "When the instance was `running` again (ISO 8601); empty when it was left stopped.",
  },
  {
    name: "downtimeSeconds",
    tfName: "downtime_seconds",
    kind: "number",
    description: "Seconds between the stop request and `running` again; 0 for a stopped instance.",
  },
  {
    name: "healthyAt",
    tfName: "healthy_at",
    kind: "string",
    optional: true,
    description:
      "When DescribeInstanceStatus showed both status checks `ok` (ISO 8601); empty unless the cycle waited for them.",
  },
  {
    name: "slotWaitSeconds",
    tfName: "slot_wait_seconds",
    kind: "number",
    optional: true,
    description:
      "Seconds the cycle waited for a slot in its rollout group before stopping the instance; empty outside a group.",
  },
  {
    name: "guestVerifiedAt",
    tfName: "guest_verified_at",
    kind: "string",
    optional: true,
    description:
      "When the check inside the guest (SSM Run Command) confirmed nested virtualization (ISO 8601); empty unless `verifyInGuest` is set.",
  },
  {
    name: "startAttempts",
    tfName: "start_attempts",
    kind: "number",
    optional: true,
    description:
      "StartInstances calls the cycle made: more than 1 when EC2 lacked capacity and the start was retried (`InsufficientInstanceCapacity`); empty when the cycle did not start the instance.",
  },
] as const;

/** The attribute table, typed literally so the engine's types can be derived from it (below). */
const TABLE = [
  {
    name: "instanceId",
    tfName: "instance_id",
    kind: "string",
    role: "input",
    required: true,
    forcesReplacement: true,
    format: {
      pattern: /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
      noun: "an EC2 instance ID",
      rule: '"i-" followed by 8 or 17 lowercase hex digits',
      example: "i-0123456789abcdef0",
    },
    description:
      "ID of the EC2 instance (`i-` followed by 8 or 17 hex digits). Changing it replaces the resource. Spaces around it are an error, not trimmed away, so the stored ID is exactly the one written.",
  },
  {
    name: "nestedVirtualization",
    tfName: "nested_virtualization",
    kind: "string",
    role: "input",
    enumValues: ["enabled", "disabled"],
    defaultValue: "enabled",
    description:
      "Desired value of the `NestedVirtualization` CPU option. A running instance is stopped, modified and started again; a stopped one is modified and left stopped.",
  },
  {
    name: "region",
    tfName: "region",
    kind: "string",
    role: "input",
    forcesReplacement: true,
    selectsConnection: true,
    defaultText: "the provider's region",
    format: { pattern: /^[a-z]{2}(-[a-z]+)+-\d+$/, noun: "an AWS region name", example: "us-east-1" },
    description:
      "AWS region of the instance. Defaults to the provider's region (`aws:region`, AWS_REGION, the profile). Changing it replaces the resource.",
  },
  {
    name: "allowAutoScalingGroupMember",
    tfName: "allow_auto_scaling_group_member",
    kind: "bool",
    role: "input",
    defaultValue: false,
    deprecation: 'Use autoScaling = "allow" instead.',
    description:
      'Deprecated: use `autoScaling = "allow"`, which this means when true. Setting it to true together with another `autoScaling` choice is an error.',
  },
  {
    name: "autoScaling",
    tfName: "auto_scaling",
    kind: "string",
    role: "input",
    enumValues: ["refuse", "standby", "allow"],
    defaultValue: "refuse",
    description:
      "What a cycle does with a member of an Auto Scaling group, which would replace a stopped member. `refuse`: nothing, a blocker at preview/plan. `standby`: EnterStandby (decrementing the desired capacity, so the group launches no replacement; a load balancer deregisters and drains the instance), wait for `Standby`, run the cycle, ExitStandby and wait for `InService` (lifecycle hooks included, within `timeouts.start`); the journal on the instance records the standby, so an interrupted or failed run still returns it to service. `allow`: cycle it as it is, for groups whose health checks or replacement you have suspended yourself.",
  },
  {
    name: "stopProtection",
    tfName: "stop_protection",
    kind: "string",
    role: "input",
    enumValues: ["refuse", "lift"],
    defaultValue: "refuse",
    description:
      "What to do with an instance that has stop protection (`disableApiStop`): `refuse` blocks the cycle (nothing is changed); `lift` turns the protection off for the cycle (ModifyInstanceAttribute) and on again once the instance runs again. The cycle journal records the lift, so a run that is interrupted or fails still ends with the protection on (the next run restores it if this one could not). Use `lift` for production hosts that are protected against accidental stops but may be cycled by this resource.",
  },
  {
    name: "onDelete",
    tfName: "on_delete",
    kind: "string",
    role: "input",
    enumValues: ["keep", "restore"],
    defaultValue: "keep",
    description:
      "What deleting the resource does: `keep` leaves the CPU option as it is (no downtime); `restore` puts back the setting the instance had before this resource changed it (another stop/start cycle).",
  },
  {
    name: "timeouts",
    tfName: "timeouts",
    kind: "timeouts",
    role: "input",
    defaultText: `\`${DEFAULT_WAIT_TIMEOUT}\` each`,
    description: `Bounds for the waits of a cycle: \`stop\`, \`start\` and \`healthy\` (the status checks, then the in-guest check), each a duration from \`${MIN_WAIT_SECONDS}s\` to \`${MAX_WAIT_SECONDS / 3600}h\` (default \`${DEFAULT_WAIT_TIMEOUT}\`).`,
  },
  {
    name: "waitForStatusChecks",
    tfName: "wait_for_status_checks",
    kind: "bool",
    role: "input",
    defaultValue: false,
    description:
      "Health gate: after starting the instance, wait until EC2's instance and system status checks are both `ok` (DescribeInstanceStatus) before the cycle counts as done, bounded by `timeouts.healthy`. An `impaired` check fails the cycle, naming the instance and the check, and halts its rollout group.",
  },
  {
    name: "verifyInGuest",
    tfName: "verify_in_guest",
    kind: "bool",
    role: "input",
    defaultValue: false,
    description:
      "Proof inside the guest: after a cycle that starts the instance with nested virtualization enabled (after the health gate when `waitForStatusChecks` is set), and on every apply that finds it already so and running, run an SSM Run Command check in the guest — Linux: `/dev/kvm` exists and the CPU flags show `vmx` (AWS-RunShellScript); Windows: the processor reports virtualization firmware enabled (AWS-RunPowerShellScript) — bounded by `timeouts.healthy`. A failed check fails the apply, naming the instance and the guest's output; the instance stays running. Needs a managed SSM agent: an instance without one online is a blocker at preview and plan, before anything is stopped.",
  },
  {
    name: "rolloutGroup",
    tfName: "rollout_group",
    kind: "string",
    role: "input",
    format: {
      pattern: /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$/,
      noun: "a rollout group name",
      rule: "1 to 128 letters, digits and _ . : / -",
      example: "ci-runners",
    },
    description:
      "Rollout group: enablements naming the same group in one account and region never have more than `maxUnavailable` instances out of service at once (from StopInstances until the instance runs again, and passes its status checks when gated and its in-guest check with `verifyInGuest`), across runs too: two stacks, a Pulumi and a Terraform run, two CI jobs. The count is kept in EC2 itself (the `nestedvirt:group` and `nestedvirt:slot` tags on the instances being cycled); a run that dies holds its slots until their lease runs out. After a cycle of the group fails, its cycles that have not stopped their instance yet fail at once without stopping it; cycles in flight finish.",
  },
  {
    name: "maxUnavailable",
    tfName: "max_unavailable",
    kind: "number",
    role: "input",
    defaultValue: 1,
    integerRange: { min: 1, max: 1000 },
    description:
      "The most instances of the rollout group out of service at once. Every member of a group must declare the same value. Ignored without `rolloutGroup`.",
  },
  {
    name: "instanceType",
    tfName: "instance_type",
    kind: "string",
    role: "output",
    description: "Instance type, for example `m8i.large`.",
  },
  {
    name: "instanceState",
    tfName: "instance_state",
    kind: "string",
    role: "output",
    description: "Instance state after the last operation (`running`, `stopped`, …).",
  },
  {
    name: "previousNestedVirtualization",
    tfName: "previous_nested_virtualization",
    kind: "string",
    role: "output",
    enumValues: ["enabled", "disabled"],
    description:
      "The setting the instance had before this resource first changed it; `restore` on delete puts it back.",
  },
  {
    name: "warnings",
    tfName: "warnings",
    kind: "string-list",
    role: "output",
    description:
      "What the last cycle did besides the CPU option: public IP changes, instance-store data loss, VSM turned off.",
  },
  {
    name: "lastCycle",
    tfName: "last_cycle",
    kind: "timings",
    role: "output",
    description: "Timestamps and downtime of the last stop/modify/start cycle; absent when none was needed.",
  },
] as const satisfies readonly AttributeSpec[];

export const ATTRIBUTES: readonly AttributeSpec[] = TABLE;

// ---------------------------------------------------------------------------------------------
// Types derived from the table, so a new attribute reaches the engine's types without a second edit.

type Spec = (typeof TABLE)[number];
type InputSpec = Extract<Spec, { role: "input" }>;
type TimeoutField = (typeof TIMEOUT_FIELDS)[number]["name"];

export type AttributeName = Spec["name"];
export type InputName = InputSpec["name"];

/** Allowed values of an enumerated attribute, e.g. `EnumOf<"onDelete">` is `"keep" | "restore"`. */
export type EnumOf<N extends AttributeName> =
  Extract<Spec, { name: N }> extends { enumValues: readonly (infer V)[] } ? V : never;

/** Upper bounds for the waits of a cycle, in seconds (`stopSeconds`, `startSeconds`). */
export type WaitTimeouts = { [F in TimeoutField as `${F}Seconds`]: number };

/** The declared form of the `timeouts` input once defaults are applied: durations as written. */
export type TimeoutTexts = { [F in TimeoutField]: string };

/** An input's value type; `Timeouts` is the form the `timeouts` input takes (seconds, or as written). */
type ValueOf<S, Timeouts> = S extends { kind: "bool" }
  ? boolean
  : S extends { kind: "number" }
    ? number
    : S extends { kind: "timeouts" }
      ? Timeouts
      : S extends { enumValues: readonly (infer V)[] }
        ? V
        : string;

/** Inputs that always have a value after parsing: required, defaulted, or built from defaults. */
type Settled = Extract<InputSpec, { required: true } | { defaultValue: unknown } | { kind: "timeouts" }>;

type ParsedValues<S extends InputSpec, Timeouts> = { [A in Extract<S, Settled> as A["name"]]: ValueOf<A, Timeouts> } & {
  [A in Exclude<S, Settled> as A["name"]]?: ValueOf<A, Timeouts>;
};

/** The inputs as the engine receives them: validated, defaults applied, durations in seconds. */
export type DesiredInputs = ParsedValues<Exclude<InputSpec, { selectsConnection: true }>, WaitTimeouts>;

/** The inputs as the user declared them, defaults applied: what Pulumi state records. */
export type DeclaredInputs = ParsedValues<InputSpec, TimeoutTexts>;

/**
 * `true` when `K` names exactly the attributes `Of`: the front ends' hand-written public types
 * (kept for their doc comments) assert it, so a new attribute fails the build until they list it.
 */
export type NamesExactly<K extends string, Of extends string> = [Exclude<Of, K> | Exclude<K, Of>] extends [never]
  ? true
  : false;

// ---------------------------------------------------------------------------------------------

export function attribute(name: string): AttributeSpec {
  const spec = ATTRIBUTES.find((a) => a.name === name);
  if (!spec) throw new Error(`unknown attribute ${name}`);
  return spec;
}

export const INPUT_ATTRIBUTES = ATTRIBUTES.filter((a) => a.role === "input");
export const OUTPUT_ATTRIBUTES = ATTRIBUTES.filter((a) => a.role === "output");
export const REPLACING_ATTRIBUTES = ATTRIBUTES.filter((a) => a.forcesReplacement).map((a) => a.name);

/**
 * The EC2 actions the engine calls. `change` actions are checked with DryRun before a cycle (the
 * gateway's `MutatingAction` type); the IAM policy in README and docs is built from these lists.
 */
export const EC2_ACTIONS = {
  /** Describe calls without resource-level permissions: `Resource` must be `*`. */
  read: ["DescribeInstances", "DescribeInstanceTypes", "DescribeInstanceStatus", "DescribeLaunchTemplateVersions"],
  /** Reads of one instance (stop protection), grantable per instance. */
  readInstance: ["DescribeInstanceAttribute"],
  change: [
    "StopInstances",
    "StartInstances",
    "ModifyInstanceCpuOptions",
    "CreateTags",
    "DeleteTags",
    "ModifyInstanceAttribute",
  ],
} as const;

export const ALL_EC2_ACTIONS: readonly string[] = Object.values(EC2_ACTIONS).flat();

/**
 * The Auto Scaling actions of `autoScaling = "standby"` and of the launch-template check. Auto
 * Scaling has no DryRun: the reads are the check (a refused one is a blocker at preview/plan), and
 * a refused EnterStandby fails the cycle before the instance is stopped.
 */
export const AUTO_SCALING_ACTIONS = {
  read: ["DescribeAutoScalingInstances", "DescribeAutoScalingGroups", "DescribeLifecycleHooks"],
  change: ["EnterStandby", "ExitStandby"],
} as const;

/**
 * The Systems Manager actions of the in-guest check (`verifyInGuest`). SSM has no DryRun: the
 * DescribeInstanceInformation at preview/plan is a real read that proves its own permission; the
 * other two are first called after the start, and a refusal then fails the apply naming the action.
 */
export const SSM_ACTIONS = ["DescribeInstanceInformation", "SendCommand", "GetCommandInvocation"] as const;

/** The least-privilege IAM policy for the engine, as README and docs show it. */
export function iamPolicy(): object {
  const actions = (names: readonly string[]) => names.map((name) => `ec2:${name}`);
  return {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: actions(EC2_ACTIONS.read), Resource: "*" },
      {
        Effect: "Allow",
        Action: actions([...EC2_ACTIONS.readInstance, ...EC2_ACTIONS.change]),
        Resource: "arn:aws:ec2:*:*:instance/*",
      },
      {
        Effect: "Allow",
        Action: AUTO_SCALING_ACTIONS.read.map((name) => `autoscaling:${name}`),
        Resource: "*",
      },
      {
        Effect: "Allow",
        Action: AUTO_SCALING_ACTIONS.change.map((name) => `autoscaling:${name}`),
        Resource: "arn:aws:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/*",
      },
      // Only with verifyInGuest. SendCommand names the instance and the document; the others take no resource.
      { Effect: "Allow", Action: ["ssm:DescribeInstanceInformation", "ssm:GetCommandInvocation"], Resource: "*" },
      {
        Effect: "Allow",
        Action: ["ssm:SendCommand"],
        Resource: [
          "arn:aws:ec2:*:*:instance/*",
          "arn:aws:ssm:*::document/AWS-RunShellScript",
          "arn:aws:ssm:*::document/AWS-RunPowerShellScript",
        ],
      },
    ],
  };
}
