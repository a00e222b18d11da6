import { TIMING_FIELDS } from "../engine/schema";
import { EXIT_CODES } from "./exit";
import { REPORT_SCHEMA_VERSION } from "./report";

/**
 * JSON Schema (2020-12) of the `--output json` document (report.ts), written to
 * docs/cli/output.schema.json by `npm run docs`. A unit test holds it to the documents the CLI makes.
 */
type JsonSchema = { [key: string]: unknown };

const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: "null" }] });
const text = (description: string): JsonSchema => ({ type: "string", description });
const object = (properties: Record<string, JsonSchema>, description?: string): JsonSchema => ({
  type: "object",
  ...(description ? { description } : {}),
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});

const finding = object({ code: text("Stable code, e.g. `stop-protected`."), message: text("For people.") });

const lastCycle: JsonSchema = {
  type: "object",
  description: "Timestamps and downtime of the cycle this run made (the resource's `lastCycle` output).",
  properties: Object.fromEntries(
    TIMING_FIELDS.map((f) => [f.name, { type: f.kind === "number" ? "number" : "string", description: f.description }]),
  ),
  required: TIMING_FIELDS.filter((f) => !("optional" in f)).map((f) => f.name),
  additionalProperties: false,
};

const instance = object(
  {
    instanceId: text("The EC2 instance ID."),
    instanceType: nullable(text("Instance type; null when the instance was not found.")),
    state: nullable(text("The state EC2 last reported to this run (`running`, `stopped`, …).")),
    nestedVirtualization: nullable({ enum: ["enabled", "disabled"], description: "The live setting." }),
    supported: nullable({ type: "boolean", description: "Whether the type supports nested virtualization." }),
    autoScalingGroup: nullable(text("The Auto Scaling group the instance belongs to.")),
    action: {
      enum: ["none", "cycle", "modify", "resume", "wait-for-other-run", "blocked"],
      description:
        "What the run does: nothing; stop, modify, start; modify a stopped instance; finish an interrupted cycle; wait for another run's; nothing because of blockers.",
    },
    result: nullable({
      enum: ["unchanged", "changed", "recovered", "blocked", "failed", "cancelled", "halted"],
      description:
        "apply and recover only: cancelled = not stopped because the run was interrupted; halted = not stopped because another cycle of the run failed.",
    }),
    steps: { type: "array", items: { type: "string" }, description: "The plan's steps, in order." },
    warnings: { type: "array", items: finding },
    blockers: { type: "array", items: finding },
    cycleInFlight: nullable(
      object(
        {
          from: text("Setting before the cycle."),
          to: text("Setting the cycle applies."),
          priorState: text("Run state before the cycle (`running` or `stopped`)."),
          startedAt: text("When the cycle began (ISO 8601)."),
          runToken: nullable(text("The run holding the journal (one token per process).")),
          leaseUntil: nullable(text("Until when that run may still be working (ISO 8601).")),
          live: { type: "boolean", description: "True while that run may still be working; false: interrupted." },
        },
        "The cycle journal (tag `nestedvirt:cycle`) found on the instance.",
      ),
    ),
    error: nullable(finding),
    lastCycle: nullable(lastCycle),
  },
  "One target instance.",
);

export const REPORT_JSON_SCHEMA: JsonSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "nestedvirt-cli-output",
  title: "nestedvirt --output json",
  ...object({
    schemaVersion: { const: REPORT_SCHEMA_VERSION, description: "Bumped on any incompatible change." },
    command: { enum: ["status", "plan", "apply", "recover"] },
    region: nullable(text("The region the run looked in.")),
    outcome: { enum: ["done", "failed", "blocked", "declined", "interrupted", "usage-error"] },
    exitCode: { enum: Object.values(EXIT_CODES), description: "The process's exit code." },
    nestedVirtualization: nullable({
      enum: ["enabled", "disabled"],
      description: "The setting asked for; null for recover (each journal names its own).",
    }),
    instances: { type: "array", items: instance },
    disruption: nullable(
      object(
        {
          instancesStopped: { type: "integer", description: "Instances the run stops." },
          maxUnavailable: { type: "integer", description: "The most out of service at once." },
          waves: { type: "integer", description: "ceil(instancesStopped / maxUnavailable)." },
          downtimePerWaveAtMostSeconds: {
            type: "number",
            description:
              "Upper bound of one wave's downtime: the stop and start timeouts (plus healthy with the gate).",
          },
          observed: nullable(
            object(
              {
                cycles: { type: "integer", description: "Cycles that stopped and started an instance." },
                medianDowntimeSeconds: { type: "number", description: "Their median time out of service." },
                maxDowntimeSeconds: { type: "number", description: "The longest of them." },
              },
              "apply and recover: the downtime the run's cycles measured; null for plan and when none finished.",
            ),
          ),
        },
        "plan, apply and recover: the outage the run causes.",
      ),
    ),
    interruptedAt: nullable(text("When the run was interrupted (ISO 8601).")),
    error: nullable(object({ message: text("What was wrong with the input.") }, "Usage errors only.")),
  }),
};
