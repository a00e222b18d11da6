import { Declarations } from "../engine/duplicates";
import { parseInputs } from "../engine/inputs";
import { RunControl } from "../engine/run-control";
import type { AwsConnection } from "../engine/types";
import { createResourceService } from "../service/resource-service";
import { errorDiagnostic } from "./diagnostics";
import type { EngineAccess } from "./engine-access";
import {
  CtyError,
  type CtyType,
  type CtyValue,
  decodeJson,
  decodeMsgpack,
  encodeMsgpack,
  isObjectValue,
} from "./protocol/cty";
import type {
  ApplyResourceChangeRequest,
  ApplyResourceChangeResponse,
  ConfigRequest,
  ConfigureProviderRequest,
  Diagnostic,
  DiagnosticsResponse,
  DynamicValue,
  GetFunctionsResponse,
  GetMetadataResponse,
  GetProviderSchemaResponse,
  ImportResourceStateRequest,
  ImportResourceStateResponse,
  MoveResourceStateResponse,
  PlanResourceChangeRequest,
  PlanResourceChangeResponse,
  ReadDataSourceResponse,
  ReadResourceRequest,
  ReadResourceResponse,
  ServerCapabilities,
  StopProviderResponse,
  UpgradeResourceStateRequest,
  UpgradeResourceStateResponse,
} from "./protocol/messages";
import {
  type ApplyRequest,
  applyResourceChange,
  importResourceState,
  planResourceChange,
  type ResourceContext,
  readResource,
  TERRAFORM_WORDING,
  upgradeResourceState,
  validateResourceConfig,
} from "./resource";
import {
  PROVIDER_FIELDS,
  PROVIDER_VALUE_TYPE,
  providerSchema,
  RESOURCE_TYPE_NAME,
  RESOURCE_VALUE_TYPE,
  resourceSchema,
} from "./schema";

/**
 * The tfplugin6.Provider service: decodes each request's DynamicValues, hands the values to
 * resource.ts, and encodes the answer. One instance per provider process (Terraform starts one
 * process per provider configuration).
 */

/** The RPCs served, each taking the decoded request message and resolving to the response message. */
export interface ProviderHandlers {
  GetMetadata(request: object): Promise<GetMetadataResponse>;
  GetProviderSchema(request: object): Promise<GetProviderSchemaResponse>;
  ValidateProviderConfig(request: ConfigRequest): Promise<DiagnosticsResponse>;
  ValidateResourceConfig(request: ConfigRequest): Promise<DiagnosticsResponse>;
  ValidateDataResourceConfig(request: ConfigRequest): Promise<DiagnosticsResponse>;
  UpgradeResourceState(request: UpgradeResourceStateRequest): Promise<UpgradeResourceStateResponse>;
  ConfigureProvider(request: ConfigureProviderRequest): Promise<DiagnosticsResponse>;
  ReadResource(request: ReadResourceRequest): Promise<ReadResourceResponse>;
  PlanResourceChange(request: PlanResourceChangeRequest): Promise<PlanResourceChangeResponse>;
  ApplyResourceChange(request: ApplyResourceChangeRequest): Promise<ApplyResourceChangeResponse>;
  ImportResourceState(request: ImportResourceStateRequest): Promise<ImportResourceStateResponse>;
  MoveResourceState(request: object): Promise<MoveResourceStateResponse>;
  ReadDataSource(request: object): Promise<ReadDataSourceResponse>;
  GetFunctions(request: object): Promise<GetFunctionsResponse>;
  StopProvider(request: object): Promise<StopProviderResponse>;
}

export interface ProviderOptions {
  access: EngineAccess;
  log: (line: string) => void;
  /** Told to stop by StopProvider, a signal or the parent's death; tracks applies under way. */
  control?: RunControl;
}

const CAPABILITIES: ServerCapabilities = {
  plan_destroy: false,
  get_provider_schema_optional: false,
  move_resource_state: false,
};

/** A DynamicValue that carries neither encoding stands for null. */
export function decodeDynamicValue(value: DynamicValue | null | undefined, type: CtyType): CtyValue {
  if (value?.msgpack && value.msgpack.length > 0) return decodeMsgpack(value.msgpack, type);
  if (value?.json && value.json.length > 0) return decodeJson(value.json, type);
  return null;
}

export function encodeDynamicValue(value: CtyValue, type: CtyType): DynamicValue {
  return { msgpack: Buffer.from(encodeMsgpack(value, type)) };
}

function unknownTypeDiagnostic(typeName: string | undefined): Diagnostic {
  return errorDiagnostic(
    "Unknown resource type",
    `This provider has only ${RESOURCE_TYPE_NAME}; got ${JSON.stringify(typeName)}.`,
  );
}

function connectionFrom(config: CtyValue): AwsConnection {
  const connection: Record<string, string> = {};
  if (!isObjectValue(config)) return connection;
  for (const { name } of PROVIDER_FIELDS) {
    const value = config[name];
    // Unknown (not yet computed) and null both mean "use the AWS SDK's default".
    if (typeof value === "string" && value !== "") connection[name] = value;
  }
  return connection;
}

export function createProvider(options: ProviderOptions): ProviderHandlers {
  const control = options.control ?? new RunControl();
  const context: ResourceContext = {
    connection: {},
    access: options.access,
    service: createResourceService({ engines: options.access.engine, control }),
    declarations: new Declarations(TERRAFORM_WORDING),
  };
  const schema = { provider: providerSchema(), resource: resourceSchema() };

  return {
    async GetMetadata() {
      return {
        server_capabilities: CAPABILITIES,
        diagnostics: [],
        data_sources: [],
        resources: [{ type_name: RESOURCE_TYPE_NAME }],
      };
    },

    async GetProviderSchema() {
      return {
        provider: schema.provider,
        resource_schemas: { [RESOURCE_TYPE_NAME]: schema.resource },
        data_source_schemas: {},
        functions: {},
        ephemeral_resource_schemas: {},
        diagnostics: [],
        server_capabilities: CAPABILITIES,
      };
    },

    async ValidateProviderConfig(request) {
      const config = decodeDynamicValue(request.config, PROVIDER_VALUE_TYPE);
      const diagnostics: Diagnostic[] = [];
      // The provider block's region follows the resource's rule (schema.ts), so a typo fails at plan.
      const region = isObjectValue(config) ? config.region : null;
      if (typeof region === "string") {
        for (const failure of parseInputs({ region }).failures.filter((f) => f.attribute === "region")) {
          diagnostics.push(errorDiagnostic("Invalid region", failure.message, ["region"]));
        }
      }
      const endpoint = isObjectValue(config) ? config.endpoint : null;
      if (typeof endpoint === "string" && !URL.canParse(endpoint)) {
        diagnostics.push(
          errorDiagnostic(
            "Invalid endpoint",
            `endpoint must be a URL such as https://ec2.us-east-1.amazonaws.com; got ${JSON.stringify(endpoint)}.`,
            ["endpoint"],
          ),
        );
      }
      return { diagnostics };
    },

    async ValidateResourceConfig(request) {
      if (request.type_name !== RESOURCE_TYPE_NAME) return { diagnostics: [unknownTypeDiagnostic(request.type_name)] };
      return { diagnostics: validateResourceConfig(decodeDynamicValue(request.config, RESOURCE_VALUE_TYPE)) };
    },

    async ValidateDataResourceConfig(request) {
      return {
        diagnostics: [
          errorDiagnostic(
            "Unknown data source",
            `This provider has no data sources; got ${JSON.stringify(request.type_name)}.`,
          ),
        ],
      };
    },

    async UpgradeResourceState(request) {
      if (request.type_name !== RESOURCE_TYPE_NAME) return { diagnostics: [unknownTypeDiagnostic(request.type_name)] };
      const { state, diagnostics } = upgradeResourceState(Number(request.version), request.raw_state?.json);
      return diagnostics.length > 0
        ? { diagnostics }
        : { upgraded_state: encodeDynamicValue(state, RESOURCE_VALUE_TYPE), diagnostics };
    },

    async ConfigureProvider(request) {
      context.connection = connectionFrom(decodeDynamicValue(request.config, PROVIDER_VALUE_TYPE));
      await options.access.configure(context.connection);
      options.log(
        `[INFO] nestedvirt: configured for Terraform ${request.terraform_version} with ${JSON.stringify(context.connection)}`,
      );
      return { diagnostics: [] };
    },

    async ReadResource(request) {
      if (request.type_name !== RESOURCE_TYPE_NAME) return { diagnostics: [unknownTypeDiagnostic(request.type_name)] };
      const current = decodeDynamicValue(request.current_state, RESOURCE_VALUE_TYPE);
      const { newState, diagnostics } = await readResource(current, context);
      return { new_state: encodeDynamicValue(newState, RESOURCE_VALUE_TYPE), diagnostics, private: request.private };
    },

    async PlanResourceChange(request) {
      if (request.type_name !== RESOURCE_TYPE_NAME)
        return { requires_replace: [], diagnostics: [unknownTypeDiagnostic(request.type_name)] };
      const result = await planResourceChange(
        {
          prior: decodeDynamicValue(request.prior_state, RESOURCE_VALUE_TYPE),
          proposed: decodeDynamicValue(request.proposed_new_state, RESOURCE_VALUE_TYPE),
          config: decodeDynamicValue(request.config, RESOURCE_VALUE_TYPE),
        },
        context,
      );
      return {
        planned_state: encodeDynamicValue(result.planned, RESOURCE_VALUE_TYPE),
        requires_replace: result.requiresReplace.map((path) => ({
          steps: path.map((name) => ({ attribute_name: name })),
        })),
        planned_private: request.prior_private,
        diagnostics: result.diagnostics,
      };
    },

    async ApplyResourceChange(request) {
      if (request.type_name !== RESOURCE_TYPE_NAME) return { diagnostics: [unknownTypeDiagnostic(request.type_name)] };
      const change: ApplyRequest = {
        prior: decodeDynamicValue(request.prior_state, RESOURCE_VALUE_TYPE),
        planned: decodeDynamicValue(request.planned_state, RESOURCE_VALUE_TYPE),
        config: decodeDynamicValue(request.config, RESOURCE_VALUE_TYPE),
      };
      const { newState, diagnostics } = await applyResourceChange(change, context);
      return {
        new_state: encodeDynamicValue(newState, RESOURCE_VALUE_TYPE),
        private: request.planned_private,
        diagnostics,
      };
    },

    async ImportResourceState(request) {
      if (request.type_name !== RESOURCE_TYPE_NAME)
        return { imported_resources: [], diagnostics: [unknownTypeDiagnostic(request.type_name)] };
      const { state, diagnostics } = importResourceState(request.id);
      if (state === null) return { imported_resources: [], diagnostics };
      return {
        imported_resources: [{ type_name: RESOURCE_TYPE_NAME, state: encodeDynamicValue(state, RESOURCE_VALUE_TYPE) }],
        diagnostics,
      };
    },

    async MoveResourceState() {
      return {
        diagnostics: [
          errorDiagnostic("Move not supported", `${RESOURCE_TYPE_NAME} cannot be moved from another resource type.`),
        ],
      };
    },

    async ReadDataSource() {
      return { diagnostics: [errorDiagnostic("Unknown data source", "This provider has no data sources.")] };
    },

    async GetFunctions() {
      return { functions: {}, diagnostics: [] };
    },

    async StopProvider() {
      // No new StopInstances from here on; a cycle past its stop runs until the instance is up again.
      options.log("[INFO] nestedvirt: StopProvider received; no instance will be stopped from now on");
      context.service.cancel("Terraform asked the provider to stop (StopProvider)");
      return { Error: "" };
    },
  };
}

/** A request that fails to decode is the caller's problem to read about, not a crashed RPC. */
export function internalErrorDiagnostic(error: unknown): Diagnostic {
  if (error instanceof CtyError) return errorDiagnostic("Unexpected value from Terraform", error.message);
  return errorDiagnostic(
    "Internal error in the nestedvirt provider",
    error instanceof Error ? (error.stack ?? error.message) : String(error),
  );
}
