import { ATTRIBUTES, type AttributeSpec, RESOURCE_TYPE_NAME, TIMEOUT_FIELDS, TIMING_FIELDS } from "../engine/schema";
import type { CtyType } from "./protocol/cty";
import type { Schema, SchemaAttribute, SchemaBlock, SchemaNestedBlock } from "./protocol/messages";

/**
 * The Terraform view of provider/engine/schema.ts: every attribute, name and description comes
 * from that table, so the Terraform schema cannot drift from the Pulumi one.
 */

export { RESOURCE_TYPE_NAME };

/** The provider's name in configurations. */
export const PROVIDER_NAME = "nestedvirt";
/** The provider's address in `required_providers` (full hostname, so OpenTofu resolves the same). */
export const PROVIDER_ADDRESS = `registry.terraform.io/nestedvirt/${PROVIDER_NAME}`;

/** Bumped whenever stored state needs rewriting; UpgradeResourceState reads older versions. */
export const RESOURCE_SCHEMA_VERSION = 3;

/** The `id` every Terraform resource has; here it is the instance ID. */
export const ID_ATTRIBUTE = "id";

/** How one engine attribute appears in Terraform. */
export interface TerraformAttribute {
  spec: AttributeSpec;
  /** Nested block (`timeouts { … }`) rather than an attribute. */
  block: boolean;
  required: boolean;
  optional: boolean;
  computed: boolean;
  type: CtyType;
}

const TIMINGS_TYPE: CtyType = ["object", Object.fromEntries(TIMING_FIELDS.map((f) => [f.tfName, f.kind]))];
const TIMEOUTS_TYPE: CtyType = ["object", Object.fromEntries(TIMEOUT_FIELDS.map((f) => [f.name, "string"]))];

function typeOf(spec: AttributeSpec): CtyType {
  switch (spec.kind) {
    case "string":
    case "bool":
    case "number":
      return spec.kind;
    case "string-list":
      return ["list", "string"];
    case "timings":
      return TIMINGS_TYPE;
    case "timeouts":
      return TIMEOUTS_TYPE;
  }
}

/**
 * Inputs without `required` are optional, and computed when they have a default: the provider fills it (or the
 * resolved region) into the plan, so state always shows the value that was used.
 */
export const TERRAFORM_ATTRIBUTES: readonly TerraformAttribute[] = ATTRIBUTES.map((spec) => {
  const input = spec.role === "input";
  const required = input && spec.required === true;
  return {
    spec,
    block: spec.kind === "timeouts",
    required,
    optional: input && !required,
    // An optional input with neither default nor provider-resolved value (rollout_group) stays null when unset.
    computed: !input || (!required && (spec.defaultValue !== undefined || spec.selectsConnection === true)),
    type: typeOf(spec),
  };
});

export function terraformAttribute(name: string): TerraformAttribute {
  const found = TERRAFORM_ATTRIBUTES.find((a) => a.spec.name === name);
  if (!found) throw new Error(`no attribute ${name} in the engine schema`);
  return found;
}

/** Terraform name of an engine attribute; throws for a name the engine schema does not have. */
export function tfName(engineName: string): string {
  return terraformAttribute(engineName).spec.tfName;
}

/** Engine (camelCase) name → Terraform (snake_case) path; sub-fields such as `timeouts.stop` too. */
export function tfPath(engineName: string): string[] {
  const [head, ...rest] = engineName.split(".");
  const spec = ATTRIBUTES.find((a) => a.name === head);
  return [spec ? spec.tfName : head, ...rest];
}

/** The object type of the resource's state, plan and config values (blocks included). */
export const RESOURCE_VALUE_TYPE: CtyType = [
  "object",
  {
    [ID_ATTRIBUTE]: "string",
    ...Object.fromEntries(TERRAFORM_ATTRIBUTES.map((a) => [a.spec.tfName, a.type])),
  },
];

function describe(spec: AttributeSpec): string {
  const parts = [spec.description];
  if (spec.enumValues) parts.push(`One of ${spec.enumValues.map((v) => `\`${v}\``).join(", ")}.`);
  if (spec.defaultValue !== undefined) parts.push(`Defaults to \`${String(spec.defaultValue)}\`.`);
  if (spec.kind === "timings") {
    parts.push(TIMING_FIELDS.map((f) => `\`${f.tfName}\`: ${f.description}`).join(" "));
  }
  return parts.join(" ");
}

function attributeMessage(
  name: string,
  type: CtyType,
  description: string,
  flags: { required?: boolean; optional?: boolean; computed?: boolean; deprecated?: boolean },
): SchemaAttribute {
  return {
    name,
    type: Buffer.from(JSON.stringify(type), "utf8"),
    description,
    description_kind: "MARKDOWN",
    required: flags.required === true,
    optional: flags.optional === true,
    computed: flags.computed === true,
    sensitive: false,
    ...(flags.deprecated ? { deprecated: true } : {}),
  };
}

function timeoutsBlock(spec: AttributeSpec): SchemaNestedBlock {
  return {
    type_name: spec.tfName,
    nesting: "SINGLE",
    block: {
      version: 0,
      attributes: TIMEOUT_FIELDS.map((f) => attributeMessage(f.name, "string", f.description, { optional: true })),
      block_types: [],
      description: spec.description,
      description_kind: "MARKDOWN",
    },
  };
}

export function resourceSchema(): Schema {
  const attributes = [
    attributeMessage(ID_ATTRIBUTE, "string", "The instance ID (the same value as `instance_id`).", { computed: true }),
    ...TERRAFORM_ATTRIBUTES.filter((a) => !a.block).map((a) =>
      attributeMessage(a.spec.tfName, a.type, describe(a.spec), { ...a, deprecated: a.spec.deprecation !== undefined }),
    ),
  ];
  const block: SchemaBlock = {
    version: RESOURCE_SCHEMA_VERSION,
    attributes,
    block_types: TERRAFORM_ATTRIBUTES.filter((a) => a.block).map((a) => timeoutsBlock(a.spec)),
    description:
      "Turns the EC2 `NestedVirtualization` CPU option of one instance on or off, stopping and restarting the instance when it is running.",
    description_kind: "MARKDOWN",
  };
  return { version: RESOURCE_SCHEMA_VERSION, block };
}

/** Provider configuration: where and as whom to reach EC2. Every field falls back to the AWS SDK chain. */
export const PROVIDER_FIELDS = [
  {
    name: "region",
    description: "AWS region for resources that do not set `region`. Defaults to AWS_REGION or the profile's region.",
  },
  {
    name: "profile",
    description:
      "Named profile from the shared AWS config and credentials files. Defaults to AWS_PROFILE or `default`.",
  },
  {
    name: "endpoint",
    description:
      'Custom EC2 endpoint URL, for example a local emulator or a VPC endpoint. Auto Scaling calls (auto_scaling = "standby", the launch-template check) use it too; without it they follow AWS_ENDPOINT_URL_AUTO_SCALING.',
  },
] as const;

export const PROVIDER_VALUE_TYPE: CtyType = [
  "object",
  Object.fromEntries(PROVIDER_FIELDS.map((f) => [f.name, "string"])),
];

export function providerSchema(): Schema {
  return {
    version: 0,
    block: {
      version: 0,
      attributes: PROVIDER_FIELDS.map((f) => attributeMessage(f.name, "string", f.description, { optional: true })),
      block_types: [],
      description: "Manages EC2 nested virtualization as a declared resource.",
      description_kind: "MARKDOWN",
    },
  };
}
