/**
 * TypeScript shapes of the tfplugin6 messages this provider reads and writes, as
 * @grpc/proto-loader presents them (field names as in the .proto, enums as their names,
 * bytes as Buffer, absent sub-messages as null). See tfplugin6.proto for the wire definition.
 */

export interface DynamicValue {
  msgpack?: Uint8Array;
  json?: Uint8Array;
}

export interface AttributePathStep {
  attribute_name?: string;
  element_key_string?: string;
  element_key_int?: number;
}

export interface AttributePath {
  steps: AttributePathStep[];
}

export type Severity = "ERROR" | "WARNING";

export interface Diagnostic {
  severity: Severity;
  summary: string;
  detail: string;
  attribute?: AttributePath;
}

export type StringKind = "PLAIN" | "MARKDOWN";

export interface SchemaAttribute {
  name: string;
  /** JSON of the cty type. */
  type: Buffer;
  description: string;
  description_kind: StringKind;
  required: boolean;
  optional: boolean;
  computed: boolean;
  sensitive: boolean;
  deprecated?: boolean;
}

export interface SchemaBlock {
  version: number;
  attributes: SchemaAttribute[];
  block_types: SchemaNestedBlock[];
  description: string;
  description_kind: StringKind;
  deprecated?: boolean;
}

export type NestingMode = "SINGLE" | "LIST" | "SET" | "MAP" | "GROUP";

export interface SchemaNestedBlock {
  type_name: string;
  block: SchemaBlock;
  nesting: NestingMode;
  min_items?: number;
  max_items?: number;
}

export interface Schema {
  version: number;
  block: SchemaBlock;
}

export interface ServerCapabilities {
  plan_destroy: boolean;
  get_provider_schema_optional: boolean;
  move_resource_state: boolean;
}

export interface RawState {
  json?: Uint8Array;
  flatmap?: Record<string, string>;
}

// ----- requests (as decoded) and responses (as sent)

export interface GetMetadataResponse {
  server_capabilities: ServerCapabilities;
  diagnostics: Diagnostic[];
  data_sources: { type_name: string }[];
  resources: { type_name: string }[];
}

export interface GetProviderSchemaResponse {
  provider: Schema;
  resource_schemas: Record<string, Schema>;
  data_source_schemas: Record<string, Schema>;
  functions: Record<string, never>;
  ephemeral_resource_schemas: Record<string, Schema>;
  diagnostics: Diagnostic[];
  server_capabilities: ServerCapabilities;
}

export interface ConfigRequest {
  type_name?: string;
  config: DynamicValue | null;
}

export interface DiagnosticsResponse {
  diagnostics: Diagnostic[];
}

export interface ConfigureProviderRequest {
  terraform_version: string;
  config: DynamicValue | null;
}

export interface UpgradeResourceStateRequest {
  type_name: string;
  version: number;
  raw_state: RawState | null;
}

export interface UpgradeResourceStateResponse {
  upgraded_state?: DynamicValue;
  diagnostics: Diagnostic[];
}

export interface ReadResourceRequest {
  type_name: string;
  current_state: DynamicValue | null;
  private: Buffer;
}

export interface ReadResourceResponse {
  new_state?: DynamicValue;
  diagnostics: Diagnostic[];
  private?: Buffer;
}

export interface PlanResourceChangeRequest {
  type_name: string;
  prior_state: DynamicValue | null;
  proposed_new_state: DynamicValue | null;
  config: DynamicValue | null;
  prior_private: Buffer;
}

export interface PlanResourceChangeResponse {
  planned_state?: DynamicValue;
  requires_replace: AttributePath[];
  planned_private?: Buffer;
  diagnostics: Diagnostic[];
}

export interface ApplyResourceChangeRequest {
  type_name: string;
  prior_state: DynamicValue | null;
  planned_state: DynamicValue | null;
  config: DynamicValue | null;
  planned_private: Buffer;
}

export interface ApplyResourceChangeResponse {
  new_state?: DynamicValue;
  private?: Buffer;
  diagnostics: Diagnostic[];
}

export interface ImportResourceStateRequest {
  type_name: string;
  id: string;
}

export interface ImportResourceStateResponse {
  imported_resources: { type_name: string; state: DynamicValue; private?: Buffer }[];
  diagnostics: Diagnostic[];
}

export interface MoveResourceStateResponse {
  diagnostics: Diagnostic[];
}

export interface ReadDataSourceResponse {
  diagnostics: Diagnostic[];
}

export interface GetFunctionsResponse {
  functions: Record<string, never>;
  diagnostics: Diagnostic[];
}

export interface StopProviderResponse {
  Error: string;
}
