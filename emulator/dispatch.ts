// Answers one EC2 Query API request: fault injection, the action handler,
// the DryRun/IAM gate, XML rendering, and the call log entry.

import { randomUUID } from "node:crypto";
import { ACTIONS, type ActionContext } from "./actions";
import type { CallLog } from "./calls";
import type { InstanceTypeCatalogue } from "./catalogue";
import { dryRunSucceeded, Ec2Error, httpStatusFor, renderError, renderHtmlError, unauthorized } from "./errors";
import type { Faults } from "./faults";
import type { InstanceStore } from "./instances";
import type { LaunchTemplateStore } from "./launch-templates";
import type { Permissions } from "./permissions";
import { listParam, type QueryParams } from "./query";
import { EC2_XML_NAMESPACE, el, renderDocument, type XmlElement } from "./xml";

export interface EmulatorState {
  readonly store: InstanceStore;
  readonly catalogue: InstanceTypeCatalogue;
  readonly launchTemplates: LaunchTemplateStore;
  readonly permissions: Permissions;
  readonly faults: Faults;
  readonly calls: CallLog;
  readonly region: string;
  /** The instances of `region` (the emulator's own for its region, or when regions are not told apart). */
  storeIn(region: string): InstanceStore;
  now(): number;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** `signedRegion`: the region of the request's SigV4 credential scope, when it has one. */
export function handleEc2Request(state: EmulatorState, params: QueryParams, signedRegion?: string): HttpReply {
  const requestId = randomUUID();
  const action = params.get("Action") ?? "";
  const dryRun = params.get("DryRun") === "true";
  const at = state.now();
  let reply: HttpReply;
  let errorCode: string | undefined;
  try {
    const body = runAction(state, action, params, dryRun, signedRegion ?? state.region);
    reply = xmlReply(
      200,
      requestId,
      renderDocument(`${action}Response`, [el("requestId", requestId), ...body], EC2_XML_NAMESPACE),
    );
  } catch (error) {
    const ec2Error = error instanceof Ec2Error ? error : new Ec2Error("InternalError", describeUnexpected(error));
    errorCode = ec2Error.code;
    const status = ec2Error.status ?? httpStatusFor(ec2Error.code);
    reply = ec2Error.html
      ? { status, headers: { "content-type": "text/html" }, body: renderHtmlError(status) }
      : xmlReply(status, requestId, renderError(ec2Error.code, ec2Error.message, requestId));
  }
  state.calls.append({
    at,
    action,
    instanceIds: referencedInstanceIds(params),
    dryRun,
    params: Object.fromEntries(params),
    errorCode,
  });
  return reply;
}

function runAction(
  state: EmulatorState,
  action: string,
  params: QueryParams,
  dryRun: boolean,
  region: string,
): XmlElement[] {
  if (action === "") throw new Ec2Error("MissingAction", "The request must contain the parameter Action");
  const handler = ACTIONS[action];
  if (!handler || state.faults.isUnimplemented(action)) {
    throw new Ec2Error("InvalidAction", `The action ${action} is not valid for this web service.`);
  }
  const fault = state.faults.take(action, dryRun, params);
  if (fault) throw new Ec2Error(fault.code, fault.message, fault.status, fault.html);
  const store = state.storeIn(region);
  const context: ActionContext = {
    action,
    params,
    dryRun,
    store,
    catalogue: state.catalogue,
    launchTemplates: state.launchTemplates,
    // The emulator's own instances are described as its region's, whatever region a request names.
    region: store === state.store ? state.region : region,
    authorize(resourceArns) {
      if (!state.permissions.isAllowed(action)) throw unauthorized(action, resourceArns[0] ?? "*");
      if (dryRun) throw dryRunSucceeded();
    },
  };
  return handler(context);
}

function referencedInstanceIds(params: QueryParams): string[] {
  const single = params.get("InstanceId");
  const ids = [
    ...listParam(params, "InstanceId"),
    ...(single === undefined ? [] : [single]),
    ...listParam(params, "ResourceId").filter((id) => id.startsWith("i-")),
  ];
  return [...new Set(ids)];
}

function xmlReply(status: number, requestId: string, body: string): HttpReply {
  return {
    status,
    // The SDK reads $metadata.requestId from this header.
    headers: { "content-type": "text/xml;charset=UTF-8", "x-amzn-requestid": requestId },
    body,
  };
}

function describeUnexpected(error: unknown): string {
  return error instanceof Error ? `Emulator bug: ${error.message}` : "Emulator bug";
}
