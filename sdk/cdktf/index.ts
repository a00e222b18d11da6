/**
 * `nestedvirt/cdktf`: CDK for Terraform constructs over the `nestedvirt` Terraform provider
 * (`terraform-provider-nestedvirt` from this package). Attribute names come from the engine's
 * schema table (provider/engine/schema.ts), the same table the Terraform provider serves, so the
 * synthesized configuration cannot disagree with the provider's schema.
 *
 * ```ts
 * new NestedvirtProvider(this, "nestedvirt", { region: "us-east-1" });
 * const kvm = new NestedVirtEnablement(this, "runner-kvm", { instanceId: runner.id });
 * new TerraformOutput(this, "downtime", { value: kvm.lastCycle.downtimeSeconds });
 * ```
 *
 * Needs `cdktf` (≥ 0.20) and `constructs` (10.x) in the program, as every CDKTF provider binding does.
 */
import {
  booleanToHclTerraform,
  booleanToTerraform,
  ComplexObject,
  type IInterpolatingParent,
  ImportableResource,
  type IResolvable,
  numberToHclTerraform,
  numberToTerraform,
  stringToHclTerraform,
  stringToTerraform,
  type TerraformMetaArguments,
  TerraformProvider,
  TerraformResource,
} from "cdktf";
import type { Construct } from "constructs";
import {
  ATTRIBUTES,
  type AttributeName,
  type AttributeSpec,
  INPUT_ATTRIBUTES,
  type NamesExactly,
  RESOURCE_TYPE_NAME,
  type InputName as SchemaInputName,
  TIMEOUT_FIELDS,
  TIMING_FIELDS,
} from "../../provider/engine/schema";
import type { InstanceStateName, NestedVirtSetting, OnDeleteBehaviour } from "../../provider/engine/types";
import { PROVIDER_ADDRESS, PROVIDER_FIELDS, PROVIDER_NAME } from "../../provider/terraform/schema";

export type { InstanceStateName, NestedVirtSetting, OnDeleteBehaviour };

export { PROVIDER_ADDRESS, PROVIDER_NAME };

/** The token of a computed value: what Terraform interpolates once the attribute is known. */
function attributeToken(
  parent: TerraformResource | ComplexObject,
  tfName: string,
  kind: AttributeSpec["kind"],
): unknown {
  switch (kind) {
    case "bool":
      return parent.getBooleanAttribute(tfName);
    case "number":
      return parent.getNumberAttribute(tfName);
    case "string-list":
      return parent.getListAttribute(tfName);
    case "timings":
      return new NestedVirtEnablementLastCycleOutputReference(parent as TerraformResource, tfName);
    default:
      return parent.getStringAttribute(tfName);
  }
}

/** Defines read-only getters on `target` that return the tokens of the given attributes. */
function defineTokenGetters(
  target: object,
  fields: readonly { name: string; tfName: string; kind: AttributeSpec["kind"] }[],
): void {
  for (const { name, tfName, kind } of fields) {
    Object.defineProperty(target, name, {
      get(this: TerraformResource | ComplexObject) {
        return attributeToken(this, tfName, kind);
      },
      configurable: true,
    });
  }
}

// -------------------------------------------------------------------------------------------------
// Provider

export interface NestedvirtProviderConfig {
  /** AWS region for resources that do not set `region`. Defaults to AWS_REGION or the profile's region. */
  readonly region?: string;
  /** Named profile from the shared AWS config and credentials files. Defaults to AWS_PROFILE or `default`. */
  readonly profile?: string;
  /** Custom EC2 endpoint URL (an emulator, a VPC endpoint). Defaults to AWS_ENDPOINT_URL_EC2 or the regional endpoint. */
  readonly endpoint?: string;
  /** Alias, to use several provider configurations (regions, accounts) in one stack. */
  readonly alias?: string;
}

type ProviderSetting = keyof Omit<NestedvirtProviderConfig, "alias">;

/** The `nestedvirt` provider: where and as whom to reach EC2. Every setting falls back to the AWS SDK chain. */
export class NestedvirtProvider extends TerraformProvider {
  static readonly tfResourceType = PROVIDER_NAME;

  /** @internal The provider settings, behind the `region`, `profile` and `endpoint` properties. */
  readonly settings: { [K in ProviderSetting]?: string } = {};
  private _alias?: string;

  constructor(scope: Construct, id: string, config: NestedvirtProviderConfig = {}) {
    super(scope, id, {
      terraformResourceType: PROVIDER_NAME,
      terraformGeneratorMetadata: { providerName: PROVIDER_NAME },
      terraformProviderSource: PROVIDER_ADDRESS,
    });
    for (const { name } of PROVIDER_FIELDS) this.settings[name] = config[name];
    this._alias = config.alias;
  }

  // Read-write properties for the settings, defined from PROVIDER_FIELDS below the class.
  declare region: string | undefined;
  declare profile: string | undefined;
  declare endpoint: string | undefined;

  override get alias(): string | undefined {
    return this._alias;
  }
  override set alias(value: string | undefined) {
    this._alias = value;
  }

  protected override synthesizeAttributes(): { [name: string]: unknown } {
    return {
      ...Object.fromEntries(PROVIDER_FIELDS.map(({ name }) => [name, stringToTerraform(this.settings[name])])),
      alias: stringToTerraform(this._alias),
    };
  }

  protected override synthesizeHclAttributes(): { [name: string]: unknown } {
    return withoutUnset({
      ...Object.fromEntries(
        PROVIDER_FIELDS.map(({ name }) => [name, simpleHcl(stringToHclTerraform(this.settings[name]), "string")]),
      ),
      alias: simpleHcl(stringToHclTerraform(this._alias), "string"),
    });
  }
}

// -------------------------------------------------------------------------------------------------
// Resource

/** Bounds for the waits of a stop/modify/start cycle, as durations such as `"90s"`, `"15m"`, `"1h"`. */
export interface NestedVirtEnablementTimeouts {
  /** How long to wait for the instance to reach `stopped` (default `"10m"`). */
  readonly stop?: string;
  /** How long to wait for the instance to be `running` again (default `"10m"`). */
  readonly start?: string;
  /** How long to wait for both status checks to be `ok`, with `waitForStatusChecks` (default `"10m"`). */
  readonly healthy?: string;
}

export interface NestedVirtEnablementConfig extends TerraformMetaArguments {
  /** ID of the EC2 instance, e.g. `runner.id`. Changing it replaces the resource. */
  readonly instanceId: string;
  /** Desired value of the `NestedVirtualization` CPU option (default `"enabled"`). */
  readonly nestedVirtualization?: NestedVirtSetting;
  /** AWS region of the instance (default: the provider's region). Changing it replaces the resource. */
  readonly region?: string;
  /** Deprecated: `autoScaling: "allow"`, which `true` means. */
  readonly allowAutoScalingGroupMember?: boolean | IResolvable;
  /**
   * What a cycle does with an Auto Scaling group member: `"refuse"` (default, a blocker), `"standby"`
   * (EnterStandby around the cycle, ExitStandby after it) or `"allow"` (cycle it as it is).
   */
  readonly autoScaling?: "refuse" | "standby" | "allow";
  /**
   * An instance with stop protection (`disableApiStop`): `"refuse"` (default) blocks the cycle;
   * `"lift"` turns the protection off for the cycle and on again once the instance runs again.
   */
  readonly stopProtection?: "refuse" | "lift";
  /**
   * What destroying the resource does: `"keep"` (default) leaves the CPU option as it is, with no
   * downtime; `"restore"` cycles the instance back to the setting it had before.
   */
  readonly onDelete?: OnDeleteBehaviour;
  /** Wait bounds for the cycle (the `timeouts` block). */
  readonly timeouts?: NestedVirtEnablementTimeouts;
  /** Health gate: wait until both EC2 status checks are `ok` after the start (default `false`). */
  readonly waitForStatusChecks?: boolean | IResolvable;
  /** Proof inside the guest: check with SSM Run Command after the start that the guest can run a hypervisor (default `false`). */
  readonly verifyInGuest?: boolean | IResolvable;
  /** Rollout group: members in one apply never have more than `maxUnavailable` instances out of service. */
  readonly rolloutGroup?: string;
  /** The most instances of the rollout group out of service at once (default 1). */
  readonly maxUnavailable?: number;
}

type InputName = keyof Omit<NestedVirtEnablementConfig, keyof TerraformMetaArguments>;

/** Timestamps and downtime of the last stop/modify/start cycle (`last_cycle`); null when none was needed. */
export class NestedVirtEnablementLastCycleOutputReference extends ComplexObject {
  constructor(terraformResource: IInterpolatingParent, terraformAttribute: string) {
    super(terraformResource, terraformAttribute, false);
  }

  // Tokens for the sub-fields, defined from TIMING_FIELDS below; these declarations type them.
  /** When the instance reached `stopped` (ISO 8601); null when it was already stopped. */
  declare readonly stoppedAt: string;
  /** When ModifyInstanceCpuOptions succeeded (ISO 8601). */
  declare readonly modifiedAt: string;
  /** When the instance was `running` again (ISO 8601); null when it was left stopped. */
  declare readonly startedAt: string;
  /** Seconds between the stop request and `running` again; 0 for a stopped instance. */
  declare readonly downtimeSeconds: number;
  /** When both status checks were `ok` (ISO 8601); null unless the cycle waited for them. */
  declare readonly healthyAt: string;
  /** Seconds the cycle waited for a slot in its rollout group; null outside a group. */
  declare readonly slotWaitSeconds: number;
  /** When the check inside the guest confirmed nested virtualization (ISO 8601); null unless `verifyInGuest`. */
  declare readonly guestVerifiedAt: string;
  /** StartInstances calls the cycle made (more than 1 after capacity retries); null when it started nothing. */
  declare readonly startAttempts: number;
}

/**
 * `nestedvirt_enablement`: the `NestedVirtualization` CPU option of one existing EC2 instance.
 * `terraform plan` shows a pending change (and fails on a blocker, before anything is touched);
 * `terraform apply` stops a running instance, changes the option and starts it again.
 */
export class NestedVirtEnablement extends TerraformResource {
  static readonly tfResourceType = RESOURCE_TYPE_NAME;

  /**
   * An `import` block for adopting an instance that already has the desired setting, for
   * `cdktf plan`'s configuration generation. (Or call `importFrom(instanceId)` on a resource.)
   */
  static generateConfigForImport(
    scope: Construct,
    importToId: string,
    importFromId: string,
    provider?: TerraformProvider,
  ): ImportableResource {
    return new ImportableResource(scope, importToId, {
      terraformResourceType: RESOURCE_TYPE_NAME,
      importId: importFromId,
      provider,
    });
  }

  private readonly inputs: { -readonly [K in InputName]?: NestedVirtEnablementConfig[K] };

  constructor(scope: Construct, id: string, config: NestedVirtEnablementConfig) {
    super(scope, id, {
      terraformResourceType: RESOURCE_TYPE_NAME,
      terraformGeneratorMetadata: { providerName: PROVIDER_NAME },
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      forEach: config.forEach,
      provisioners: config.provisioners,
      connection: config.connection,
    });
    this.inputs = Object.fromEntries(INPUT_ATTRIBUTES.map(({ name }) => [name, config[name as InputName]]));
  }

  /** The instance ID (`id`, the same value as `instance_id`). */
  get id(): string {
    return this.getStringAttribute("id");
  }

  // Tokens for the attributes, defined from the schema table below the class; these declarations type them.
  declare readonly instanceId: string;
  /** The live setting of the instance (`refresh` shows drift here). */
  declare readonly nestedVirtualization: string;
  /** The region used: the resource's own, else the provider's. */
  declare readonly region: string;
  declare readonly allowAutoScalingGroupMember: IResolvable;
  declare readonly autoScaling: string;
  declare readonly stopProtection: string;
  declare readonly onDelete: string;
  declare readonly waitForStatusChecks: IResolvable;
  declare readonly verifyInGuest: IResolvable;
  declare readonly rolloutGroup: string;
  declare readonly maxUnavailable: number;
  /** Instance type, e.g. `m8i.large`. */
  declare readonly instanceType: string;
  /** Instance state after the last operation (`running`, `stopped`, …). */
  declare readonly instanceState: string;
  /** The setting the instance had before this resource first changed it; `restore` on delete puts it back. */
  declare readonly previousNestedVirtualization: string;
  /** What the last cycle did besides the CPU option: new public IP, lost instance-store data, VSM off. */
  declare readonly warnings: string[];
  /** Timestamps and downtime of the last cycle. */
  declare readonly lastCycle: NestedVirtEnablementLastCycleOutputReference;

  protected override synthesizeAttributes(): { [name: string]: unknown } {
    return this.synthesizeInputs(
      (timeouts) =>
        timeouts === undefined
          ? undefined
          : Object.fromEntries(TIMEOUT_FIELDS.map(({ name }) => [name, stringToTerraform(timeouts[name])])),
      toTerraform,
    );
  }

  protected override synthesizeHclAttributes(): { [name: string]: unknown } {
    // An absent timeouts block comes back undefined and is dropped with the unset attributes.
    return withoutUnset(
      this.synthesizeInputs((timeouts) => {
        if (timeouts === undefined) return undefined;
        const fields = withoutUnset(
          Object.fromEntries(
            TIMEOUT_FIELDS.map(({ name }) => [name, simpleHcl(stringToHclTerraform(timeouts[name]), "string")]),
          ),
        );
        return { value: fields, isBlock: true, type: "struct", storageClassType: "NestedVirtEnablementTimeouts" };
      }, toHcl),
    );
  }

  /** One entry per input attribute: the timeouts block through `timeouts`, every other attribute through `attribute`. */
  private synthesizeInputs(
    timeouts: (timeouts: NestedVirtEnablementTimeouts | undefined) => unknown,
    attribute: (spec: AttributeSpec, value: unknown) => unknown,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const spec of INPUT_ATTRIBUTES) {
      const value = this.inputs[spec.name as InputName];
      out[spec.tfName] =
        spec.kind === "timeouts" ? timeouts(value as NestedVirtEnablementTimeouts | undefined) : attribute(spec, value);
    }
    return out;
  }
}

function toTerraform(spec: AttributeSpec, value: unknown): unknown {
  switch (spec.kind) {
    case "bool":
      return booleanToTerraform(value);
    case "number":
      return numberToTerraform(value);
    default:
      return stringToTerraform(value);
  }
}

function toHcl(spec: AttributeSpec, value: unknown): HclAttribute {
  switch (spec.kind) {
    case "bool":
      return simpleHcl(booleanToHclTerraform(value), "boolean");
    case "number":
      return simpleHcl(numberToHclTerraform(value), "number");
    default:
      return simpleHcl(stringToHclTerraform(value), "string");
  }
}

interface HclAttribute {
  value: unknown;
  isBlock: boolean;
  type: string;
  storageClassType: string;
}

function simpleHcl(value: unknown, storageClassType: string): HclAttribute {
  return { value, isBlock: false, type: "simple", storageClassType };
}

/** Leaves out what the program did not set, as generated provider bindings do. */
function withoutUnset(attributes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(attributes).filter(([, a]) => a !== undefined && (a as HclAttribute).value !== undefined),
  );
}

defineTokenGetters(
  NestedVirtEnablement.prototype,
  ATTRIBUTES.filter((a) => a.kind !== "timeouts"),
);
defineTokenGetters(NestedVirtEnablementLastCycleOutputReference.prototype, TIMING_FIELDS);
for (const { name } of PROVIDER_FIELDS) {
  Object.defineProperty(NestedvirtProvider.prototype, name, {
    get(this: NestedvirtProvider) {
      return this.settings[name];
    },
    set(this: NestedvirtProvider, value: string | undefined) {
      this.settings[name] = value;
    },
    configurable: true,
  });
}

// The hand-written config and getters (kept for their doc comments) must cover exactly the schema's attributes.
true satisfies NamesExactly<InputName, SchemaInputName>;
// (The `timeouts` block is write-only in configurations: it has no getter.)
true satisfies NamesExactly<Extract<keyof NestedVirtEnablement, AttributeName>, Exclude<AttributeName, "timeouts">>;
