import type { Engine, ProgressPhase } from "../engine/engine";
import type { AwsConnection } from "../engine/types";

/** Each phase of a cycle as it begins, per instance. */
export type ProgressListener = (instanceId: string, phase: ProgressPhase) => void;

/** Where the resource service gets an engine for a connection. Tests substitute their own. */
export type EngineSource = (connection: AwsConnection, progress?: ProgressListener) => Promise<Engine>;

/**
 * The one place a front end's engines are made. The engine (and with it the AWS SDK) is loaded on
 * first use: Terraform starts the provider several times per command and `validate` needs no EC2.
 */
export function engineSource(log?: (line: string) => void): EngineSource {
  return async (connection, progress) => {
    const { createEngine } = await import("../engine/engine.js");
    return createEngine({ connection, ...(log ? { log } : {}), ...(progress ? { progress } : {}) });
  };
}
