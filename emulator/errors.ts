// EC2 errors and the `<Response><Errors>…` envelope the SDK's ec2Query protocol parses.

import { ACCOUNT_ID } from "./constants";
import { el, renderDocument } from "./xml";

export class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Overrides the HTTP status EC2 uses for `code` (injected faults). */
    readonly status?: number,
    /** Answer with an HTML page instead of EC2's XML error (injected faults). */
    readonly html?: boolean,
  ) {
    super(message);
    this.name = code;
  }
}

/** What a web server or proxy in front of an endpoint answers: not EC2's XML at all. */
export function renderHtmlError(status: number): string {
  return `<html>\n<head><title>${status} Error</title></head>\n<body>\n<center><h1>${status} Error</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n`;
}

/** HTTP status EC2 uses per error code; the SDK retries 5xx and throttling codes. */
export function httpStatusFor(code: string): number {
  switch (code) {
    case "RequestLimitExceeded":
    case "Unavailable":
    case "ServiceUnavailable":
      return 503;
    case "InternalError":
    case "InternalFailure":
      return 500;
    case "DryRunOperation":
      return 412;
    case "UnauthorizedOperation":
    case "AuthFailure":
      return 403;
    default:
      return 400;
  }
}

export function renderError(code: string, message: string, requestId: string): string {
  return renderDocument("Response", [
    el("Errors", [el("Error", [el("Code", code), el("Message", message)])]),
    el("RequestID", requestId),
  ]);
}

export function defaultFaultMessage(code: string): string {
  switch (code) {
    case "RequestLimitExceeded":
      return "Request limit exceeded.";
    case "Unavailable":
    case "ServiceUnavailable":
      return "The service is unavailable. Please try again shortly.";
    case "InternalError":
      return "An internal error has occurred";
    default:
      return `Injected fault: ${code}`;
  }
}

export function instanceNotFound(ids: readonly string[]): Ec2Error {
  const message =
    ids.length === 1
      ? `The instance ID '${ids[0]}' does not exist`
      : `The instance IDs '${ids.join(", ")}' do not exist`;
  return new Ec2Error("InvalidInstanceID.NotFound", message);
}

export function instanceIdMalformed(id: string): Ec2Error {
  return new Ec2Error("InvalidInstanceID.Malformed", `Invalid id: "${id}" (expecting "i-...")`);
}

export function incorrectState(message: string): Ec2Error {
  return new Ec2Error("IncorrectInstanceState", message);
}

export function dryRunSucceeded(): Ec2Error {
  return new Ec2Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
}

export function unauthorized(action: string, resource: string): Ec2Error {
  return new Ec2Error(
    "UnauthorizedOperation",
    `You are not authorized to perform this operation. User: arn:aws:iam::${ACCOUNT_ID}:user/emulator ` +
      `is not authorized to perform: ec2:${action} on resource: ${resource} ` +
      `because no identity-based policy allows the ec2:${action} action`,
  );
}
