import type { Engine, ProgressPhase } from "../engine/engine";
import type { Session } from "../engine/session";
import type { AwsConnection } from "../engine/types";

/** Each phase of a cycle as it begins, per instance. */
export type ProgressListener = (instanceId: string, phase: ProgressPhase) => void;

/** Where the resource service gets an engine for a connection. Tests substitute their own. */
export type EngineSource = (connection: AwsConnection, progress?: ProgressListener) => Promise<Engine>;

/** The front end's Session for a connection: the one it opened at configure, or that run's for another region. */
export type SessionFor = (connection: AwsConnection) => Session;

/**
 * The one place a front end's engines are made, each on the front end's Session. The engine (and
 * with it the AWS SDK) is loaded on first use: Terraform starts the provider several times per
 * command and `validate` needs no EC2.
 */
export function engineSource(sessionFor: SessionFor, log?: (line: string) => void): EngineSource {
  return async (connection, progress) => {
    const { createEngine } = await import("../engine/engine.js");
    return createEngine({
      session: sessionFor(connection),
      ...(log ? { log } : {}),
      ...(progress ? { progress } : {}),
    });
  };
}
