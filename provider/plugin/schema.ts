import { ATTRIBUTES, type AttributeSpec, DEFAULT_WAIT_TIMEOUT, TIMEOUT_FIELDS, TIMING_FIELDS } from "../engine/schema";

/**
 * The Pulumi package schema of the plugin, derived from provider/engine/schema.ts like the
 * Terraform schema: a new attribute there appears here, in the generated SDKs and in the docs.
 */

export const PACKAGE_NAME = "nestedvirt";
/** The resource token. Stable: it is in every stack's state and every generated SDK. */
export const ENABLEMENT_TOKEN = `${PACKAGE_NAME}:index:Enablement`;
const TIMEOUTS_TOKEN = `${PACKAGE_NAME}:index:EnablementTimeouts`;
const TIMINGS_TOKEN = `${PACKAGE_NAME}:index:CycleTimings`;

/** Go import path of the generated Go SDK (sdk/go in this repository). */
export const GO_IMPORT_BASE_PATH = "github.com/nestedvirt/nestedvirt/sdk/go/nestedvirt";

export interface SchemaProperty {
  type?: string;
  items?: SchemaProperty;
  $ref?: string;
  description?: string;
  default?: string | number | boolean;
  willReplaceOnChanges?: boolean;
  deprecationMessage?: string;
}

export interface PulumiPackageSchema {
  name: string;
  version: string;
  [key: string]: unknown;
}

/** Provider configuration: `nestedvirt:region` / `nestedvirt:profile`, or a `Provider` resource's args. */
export const PROVIDER_PROPERTIES: Record<string, SchemaProperty> = {
  region: {
    type: "string",
    description:
      "AWS region for the resources of this provider that set no `region` of their own. Default: the `aws:region` stack setting, then AWS_REGION / the profile.",
  },
  profile: {
    type: "string",
    description:
      "Named profile of the shared AWS config and credentials files. Default: the `aws:profile` stack setting, then AWS_PROFILE.",
  },
};

function enumToken(spec: AttributeSpec): string {
  return `${PACKAGE_NAME}:index:${spec.name[0].toUpperCase()}${spec.name.slice(1)}`;
}

function propertyOf(spec: AttributeSpec, asInput: boolean): SchemaProperty {
  const described = { description: spec.description };
  switch (spec.kind) {
    case "string":
      // Enums are types of their own for inputs (the SDKs get constants); outputs stay strings.
      return spec.enumValues && asInput
        ? { $ref: `#/types/${enumToken(spec)}`, ...described }
        : { type: "string", ...described };
    case "bool":
      return { type: "boolean", ...described };
    case "number":
      return { type: "number", ...described };
    case "string-list":
      return { type: "array", items: { type: "string" }, ...described };
    case "timings":
      return { $ref: `#/types/${TIMINGS_TOKEN}`, ...described };
    case "timeouts":
      return { $ref: `#/types/${TIMEOUTS_TOKEN}`, ...described };
  }
}

function inputPropertyOf(spec: AttributeSpec): SchemaProperty {
  return {
    ...propertyOf(spec, true),
    ...(spec.defaultValue !== undefined ? { default: spec.defaultValue } : {}),
    ...(spec.forcesReplacement ? { willReplaceOnChanges: true } : {}),
    ...(spec.deprecation ? { deprecationMessage: spec.deprecation } : {}),
  };
}

function enumTypes(): Record<string, unknown> {
  const enums = ATTRIBUTES.filter((a) => a.role === "input" && a.enumValues);
  return Object.fromEntries(
    enums.map((spec) => [
      enumToken(spec),
      {
        type: "string",
        description: spec.description,
        enum: (spec.enumValues ?? []).map((value) => ({ value, name: value[0].toUpperCase() + value.slice(1) })),
      },
    ]),
  );
}

/** Outputs the provider always sets: computed ones and inputs that get a default. `lastCycle` may be absent. */
function alwaysInState(spec: AttributeSpec): boolean {
  if (spec.kind === "timings") return false;
  return (
    spec.role === "output" || spec.required === true || spec.defaultValue !== undefined || spec.kind === "timeouts"
  );
}

export function pulumiSchema(version: string): PulumiPackageSchema {
  const inputs = ATTRIBUTES.filter((a) => a.role === "input");
  // Every attribute is in the state; inputs appear as outputs too.
  const outputs = ATTRIBUTES;
  const timingProperties = Object.fromEntries(
    TIMING_FIELDS.map((f) => [f.name, { type: f.kind === "number" ? "number" : "string", description: f.description }]),
  );
  return {
    name: PACKAGE_NAME,
    displayName: "nestedvirt",
    version,
    description: "EC2 nested virtualization as a declared, diffable resource.",
    keywords: ["pulumi", "aws", "ec2", "nested-virtualization", "kind/native"],
    license: "Apache-2.0",
    config: { variables: PROVIDER_PROPERTIES },
    provider: {
      description: "Where the nestedvirt resources find AWS: region and profile.",
      inputProperties: PROVIDER_PROPERTIES,
    },
    types: {
      [TIMEOUTS_TOKEN]: {
        type: "object",
        description: `Bounds for the waits of a cycle, each a duration such as \`90s\` or \`15m\` (default \`${DEFAULT_WAIT_TIMEOUT}\`).`,
        properties: Object.fromEntries(
          TIMEOUT_FIELDS.map((f) => [
            f.name,
            { type: "string", description: f.description, default: DEFAULT_WAIT_TIMEOUT },
          ]),
        ),
      },
      [TIMINGS_TOKEN]: {
        type: "object",
        description: "Timestamps and downtime of a stop/modify/start cycle.",
        properties: timingProperties,
        required: TIMING_FIELDS.filter((f) => f.name === "modifiedAt" || f.name === "downtimeSeconds").map(
          (f) => f.name,
        ),
      },
      ...enumTypes(),
    },
    resources: {
      [ENABLEMENT_TOKEN]: {
        description:
          "Declares the `NestedVirtualization` CPU option of an existing EC2 instance. `pulumi preview` shows a pending change and its warnings; `pulumi up` stops a running instance, modifies it and starts it again (a stopped instance is modified and left stopped). Import an instance with `pulumi import nestedvirt:index:Enablement <name> <instance-id>`.",
        inputProperties: Object.fromEntries(inputs.map((spec) => [spec.name, inputPropertyOf(spec)])),
        requiredInputs: inputs.filter((a) => a.required).map((a) => a.name),
        properties: Object.fromEntries(outputs.map((spec) => [spec.name, propertyOf(spec, false)])),
        required: outputs.filter(alwaysInState).map((a) => a.name),
      },
    },
    language: {
      // The SDKs carry the schema's version (the package's), so a program asks for the matching plugin.
      nodejs: {
        packageName: "@nestedvirt/pulumi",
        respectSchemaVersion: true,
        dependencies: { "@pulumi/pulumi": "^3.142.0" },
      },
      python: {
        packageName: "pulumi_nestedvirt",
        respectSchemaVersion: true,
        requires: { pulumi: ">=3.142.0,<4.0.0" },
      },
      go: { importBasePath: GO_IMPORT_BASE_PATH, respectSchemaVersion: true, generateResourceContainerTypes: false },
    },
  };
}
