// Run Command as SSM keeps it: a command per SendCommand, an invocation per instance. The guest
// answers when the command is sent; the invocation reports Pending, then InProgress, then the
// answer once `runMs` have passed on the emulator clock (lazily, like instance transitions).

import { randomUUID } from "node:crypto";
import type { ScriptResult } from "./shell";

export type InvocationStatus = "Pending" | "InProgress" | "Success" | "Failed";

export interface Invocation {
  readonly commandId: string;
  readonly instanceId: string;
  readonly documentName: string;
  readonly comment: string;
  readonly sentAt: number;
  readonly completesAt: number;
  readonly result: ScriptResult;
}

export class CommandStore {
  private readonly invocations = new Map<string, Invocation>();

  /** Records one command for `instanceIds`, each answered by `answer(instanceId)`; returns its ID. */
  send(
    documentName: string,
    comment: string,
    instanceIds: readonly string[],
    at: number,
    runMs: number,
    answer: (instanceId: string) => ScriptResult,
  ): string {
    const commandId = randomUUID();
    for (const instanceId of instanceIds) {
      this.invocations.set(`${commandId} ${instanceId}`, {
        commandId,
        instanceId,
        documentName,
        comment,
        sentAt: at,
        completesAt: at + runMs,
        result: answer(instanceId),
      });
    }
    return commandId;
  }

  get(commandId: string, instanceId: string): Invocation | undefined {
    return this.invocations.get(`${commandId} ${instanceId}`);
  }

  all(): Invocation[] {
    return [...this.invocations.values()];
  }
}

/** The invocation's status at `now`: running for its first half, then done. */
export function statusAt(invocation: Invocation, now: number): InvocationStatus {
  if (now >= invocation.completesAt) return invocation.result.exitCode === 0 ? "Success" : "Failed";
  return now >= (invocation.sentAt + invocation.completesAt) / 2 ? "InProgress" : "Pending";
}
