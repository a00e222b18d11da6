import { BlockedError, CycleFailedError, describeError, NestedVirtError, WaitTimeoutError } from "../engine/errors";
import { GuestCheckFailedError } from "../engine/guest-check";
import type { InputFailure } from "../engine/inputs";
import { ATTRIBUTES } from "../engine/schema";
import type { PlanBlocker, PlanWarning } from "../engine/types";
import type { AttributePath, Diagnostic } from "./protocol/messages";
import { tfPath } from "./schema";

/** Builders for the diagnostics Terraform shows: a short summary, the full story in the detail. */

export function attributePath(steps: readonly string[]): AttributePath {
  return { steps: steps.map((name) => ({ attribute_name: name })) };
}

export function errorDiagnostic(summary: string, detail = "", path?: readonly string[]): Diagnostic {
  return { severity: "ERROR", summary, detail, ...(path ? { attribute: attributePath(path) } : {}) };
}

export function warningDiagnostic(summary: string, detail = "", path?: readonly string[]): Diagnostic {
  return { severity: "WARNING", summary, detail, ...(path ? { attribute: attributePath(path) } : {}) };
}

const RENAMES = ATTRIBUTES.filter((a) => a.name !== a.tfName).map((a) => ({
  pattern: new RegExp(`\\b${a.name}\\b`, "g"),
  tfName: a.tfName,
}));

/** The engine words its messages with camelCase names; Terraform users write snake_case. */
export function withTerraformNames(message: string): string {
  return RENAMES.reduce((text, r) => text.replace(r.pattern, r.tfName), message);
}

export function inputFailureDiagnostic(failure: InputFailure): Diagnostic {
  const path = tfPath(failure.attribute);
  return errorDiagnostic(`Invalid ${path.join(".")}`, withTerraformNames(failure.message), path);
}

function blockerPath(blocker: PlanBlocker): string[] | undefined {
  return blocker.attribute ? tfPath(blocker.attribute) : undefined;
}

function blockerSummary(instanceId: string, blocker: PlanBlocker): string {
  if (blocker.attribute === "verifyInGuest") {
    return blocker.code === "no-ssm-agent"
      ? `No managed SSM agent online on ${instanceId} for verify_in_guest`
      : `Systems Manager cannot check inside ${instanceId} for verify_in_guest`;
  }
  switch (blocker.code) {
    case "instance-not-found":
    case "instance-terminated":
      return `Instance ${instanceId} not found`;
    case "missing-permission":
      return `Missing EC2 permission for ${instanceId}`;
    case "endpoint-cannot-cycle":
      return `The EC2 endpoint cannot change nested virtualization on ${instanceId}`;
    case "earlier-cycle-failed":
      return `The last cycle of ${instanceId} failed; not stopping it again`;
    default:
      return `Cannot change nested virtualization on ${instanceId}`;
  }
}

export function blockerDiagnostic(instanceId: string, blocker: PlanBlocker): Diagnostic {
  return errorDiagnostic(
    blockerSummary(instanceId, blocker),
    withTerraformNames(blocker.message),
    blockerPath(blocker),
  );
}

export function planWarningDiagnostic(instanceId: string, warning: PlanWarning): Diagnostic {
  // About the instances the group launches later, not this change: its own summary, so Terraform does not fold it away.
  const summary =
    warning.code === "launch-template-without-nested-virtualization"
      ? `Auto Scaling group of ${instanceId} launches instances without nested virtualization`
      : `Changing nested virtualization on ${instanceId}`;
  return warningDiagnostic(summary, withTerraformNames(warning.message));
}

/** One diagnostic per engine failure; a BlockedError yields one per blocker so each can carry its path. */
export function engineErrorDiagnostics(error: unknown, action: string): Diagnostic[] {
  if (error instanceof BlockedError) {
    return error.blockers.map((b) => blockerDiagnostic(error.instanceId ?? "the instance", b));
  }
  const detail = withTerraformNames(describeError(error));
  if (error instanceof WaitTimeoutError)
    return [errorDiagnostic(`Timed out waiting for ${error.instanceId} to be ${error.target}`, detail)];
  if (error instanceof CycleFailedError) {
    const outcome = error.restored ? "instance restored" : "instance left part-way";
    return [errorDiagnostic(`Stop/modify/start cycle failed on ${error.instanceId} (${outcome})`, detail)];
  }
  if (error instanceof GuestCheckFailedError)
    return [
      errorDiagnostic(`Nested virtualization check inside ${error.instanceId} failed (instance running)`, detail),
    ];
  if (error instanceof NestedVirtError) return [errorDiagnostic(`Failed to ${action}: ${error.code}`, detail)];
  return [errorDiagnostic(`Failed to ${action}`, detail)];
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "ERROR");
}
