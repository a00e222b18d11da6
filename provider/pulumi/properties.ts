import type {
  AttributeName,
  CycleTimings,
  DeclaredInputs,
  EnablementState,
  NamesExactly,
  NestedVirtSetting,
} from "../engine";

/** The resource's inputs after `check`: the schema's inputs with defaults applied, plus bookkeeping. */
export type EnablementInputs = DeclaredInputs & {
  /** `aws:profile` of the stack, carried along because dynamic providers get no provider config. */
  awsProfile?: string;
  /** Set from the `import` resource option: create adopts the instance and must not change it. */
  importId?: string;
  /** The resource's name in the program, to name both resources when one instance is declared twice. */
  resourceName?: string;
};

/** The resource's state: its inputs plus what the provider computed. */
export type EnablementOutputs = EnablementInputs & {
  instanceType: string;
  instanceState: EnablementState["instanceState"];
  previousNestedVirtualization: NestedVirtSetting;
  warnings: string[];
  lastCycle?: CycleTimings;
};

true satisfies NamesExactly<
  Exclude<keyof EnablementOutputs, "awsProfile" | "importId" | "resourceName">,
  AttributeName
>;

/** Pulumi's marker for a value not known until apply (dynamic providers see it as this string). */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * The hidden input that carries the program's preflight (provider/service/preflight-record.ts);
 * Pulumi does not display `__` properties. It stays while the dynamic resource exists: Pulumi calls
 * a provider's `check` one resource at a time, and only the program sees all resources at once.
 */
export const PREFLIGHT_PROPERTY = "__preflight";
