import type { Declarations } from "../engine/duplicates";
import type { AwsConnection } from "../engine/types";

/**
 * The resource's values as the service sees them: the schema's camelCase names (`instanceId`,
 * `timeouts.stop`), inputs and outputs in one object. A front end may carry properties of its own
 * alongside; the service passes them through untouched and never interprets them.
 */
export type ResourceValues = Record<string, unknown>;

/** An input that failed validation or a preflight: the top-level attribute and what to do. */
export interface AttributeFailure {
  attribute: string;
  message: string;
}

/** Who declares a resource, so one instance declared twice in a run is caught. */
export interface DeclaredAs {
  declarations: Declarations;
  resourceName: string;
}

/** What a front end with a live display passes along with an operation. */
export interface OperationHooks {
  /** Each phase of the cycle as it begins, in words (`stopping i-0abc…`). */
  status?: (message: string) => void;
}

export interface CheckRequest {
  /** The declared inputs; may hold values not known until apply (see `isUnknown`). */
  inputs: ResourceValues;
  connection: AwsConnection;
  /** Tells a value the front end does not know yet; such inputs are judged once they are known. */
  isUnknown: (value: unknown) => boolean;
  declaredAs?: DeclaredAs;
  /** The instance ID given to import the resource by; it must be the instance's own ID. */
  importId?: string;
  /** An inspection made moments ago (preflight-record.ts); spares EC2 calls when still current. */
  preflight?: unknown;
}

export interface CheckOutcome {
  /** The inputs with the schema's defaults filled in; undefined when they could not be read. */
  inputs?: ResourceValues;
  failures: AttributeFailure[];
  /** What the pending cycle will do besides the CPU option. */
  warnings: string[];
}

export interface DiffOutcome {
  changes: boolean;
  /** The inputs that differ between the stored state and the new inputs. */
  diffs: string[];
  /** Of those, the ones that mean another instance. */
  replaces: string[];
}

export interface ApplyRequest {
  /** The checked inputs; the new state is these plus what the engine reports. */
  inputs: ResourceValues;
  connection: AwsConnection;
  /** The state before this operation (update), whose bookkeeping the new state carries on. */
  prior?: ResourceValues;
  /** Take the instance under management without touching it (import). */
  adopt?: boolean;
  preflight?: unknown;
  hooks?: OperationHooks;
}

export interface ReadOutcome {
  id: string;
  state: ResourceValues;
  /** Present when the stored values were not this instance's (import): the inputs that describe it. */
  inputs?: ResourceValues;
}
