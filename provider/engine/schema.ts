/**
 * The one description of the `NestedVirtEnablement` resource: its attributes, defaults, and
 * meaning. The Pulumi provider, the Terraform provider, the CDKTF binding and the docs all derive
 * from this table, so a change here changes every front end at once.
 */

export type AttributeKind = "string" | "bool" | "number" | "string-list" | "timings" | "timeouts";

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
  /** Default shown in docs; applied by `applyDefaults`. */
  readonly defaultValue?: string | boolean;
  /** True when the value is read from EC2 and can drift from what was declared. */
  readonly tracksDrift?: boolean;
  readonly description: string;
}

export const RESOURCE_TYPE_NAME = "nestedvirt_enablement";
export const PULUMI_TYPE_NAME = "NestedVirtEnablement";

export const DEFAULT_WAIT_TIMEOUT = "10m";

/** Sub-fields of the `timeouts` input. */
export const TIMEOUT_FIELDS = [
  {
    name: "stop",
    description: "How long to wait for the instance to reach `stopped`. Go-style duration (`90s`, `10m`, `1h`).",
  },
  { name: "start", description: "How long to wait for the instance to reach `running` again. Go-style duration." },
] as const;

/** Sub-fields of the `lastCycle` output. */
export const TIMING_FIELDS = [
  {
    name: "stoppedAt",
    tfName: "stopped_at",
    kind: "string",
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
    description: "When the instance was `running` again (ISO 8601); empty when it was left stopped.",
  },
  {
    name: "downtimeSeconds",
    tfName: "downtime_seconds",
    kind: "number",
    description: "Seconds between the stop request and `running` again; 0 for a stopped instance.",
  },
] as const;

export const ATTRIBUTES: readonly AttributeSpec[] = [
  {
    name: "instanceId",
    tfName: "instance_id",
    kind: "string",
    role: "input",
    required: true,
    forcesReplacement: true,
    description: "ID of the EC2 instance (`i-` followed by 8 or 17 hex digits). Changing it replaces the resource.",
  },
  {
    name: "nestedVirtualization",
    tfName: "nested_virtualization",
    kind: "string",
    role: "input",
    enumValues: ["enabled", "disabled"],
    defaultValue: "enabled",
    tracksDrift: true,
    description:
      "Desired value of the `NestedVirtualization` CPU option. A running instance is stopped, modified and started again; a stopped one is modified and left stopped.",
  },
  {
    name: "region",
    tfName: "region",
    kind: "string",
    role: "input",
    forcesReplacement: true,
    description:
      "AWS region of the instance. Defaults to the provider's region (`aws:region`, AWS_REGION, the profile).",
  },
  {
    name: "allowAutoScalingGroupMember",
    tfName: "allow_auto_scaling_group_member",
    kind: "bool",
    role: "input",
    defaultValue: false,
    description:
      "Allow the cycle on a member of an Auto Scaling group. Put the instance in Standby or suspend health checks first, or the group may replace the stopped instance.",
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
    description: `Bounds for the waits of a cycle: \`stop\` and \`start\`, each a duration (default \`${DEFAULT_WAIT_TIMEOUT}\`).`,
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
];

export function attribute(name: string): AttributeSpec {
  const spec = ATTRIBUTES.find((a) => a.name === name);
  if (!spec) throw new Error(`unknown attribute ${name}`);
  return spec;
}

export const INPUT_ATTRIBUTES = ATTRIBUTES.filter((a) => a.role === "input");
export const REPLACING_ATTRIBUTES = ATTRIBUTES.filter((a) => a.forcesReplacement).map((a) => a.name);

/** The EC2 actions the engine calls, for the README's IAM policy and the DryRun preflight. */
export const REQUIRED_IAM_ACTIONS = [
  "ec2:DescribeInstances",
  "ec2:DescribeInstanceTypes",
  "ec2:DescribeInstanceAttribute",
  "ec2:StopInstances",
  "ec2:StartInstances",
  "ec2:ModifyInstanceCpuOptions",
  "ec2:CreateTags",
  "ec2:DeleteTags",
] as const;
