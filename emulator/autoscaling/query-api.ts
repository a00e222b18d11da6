// Answers Auto Scaling's Query API (awsQuery, Version=2011-01-01): the calls the engine makes
// (DescribeAutoScalingInstances, DescribeAutoScalingGroups, DescribeLifecycleHooks, EnterStandby,
// ExitStandby) and CompleteLifecycleAction, with fault injection, simulated IAM and the shared
// call log, as the EC2 endpoint does.

import { randomUUID } from "node:crypto";
import type { CallLog } from "../calls";
import type { HttpReply } from "../dispatch";
import { httpStatusFor } from "../errors";
import type { Faults } from "../faults";
import type { Permissions } from "../permissions";
import { listParam, type QueryParams } from "../query";
import { el, renderDocument, type XmlElement } from "../xml";
import { AutoScalingError, type AutoScalingGroups, type GroupRecord, type LifecycleState } from "./groups";

export const AUTO_SCALING_API_VERSION = "2011-01-01";
const NAMESPACE = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

export interface AutoScalingState {
  readonly groups: AutoScalingGroups;
  readonly permissions: Permissions;
  readonly faults: Faults;
  readonly calls: CallLog;
  readonly launchTemplateName: (launchTemplateId: string) => string | undefined;
  readonly availabilityZone: string;
  now(): number;
}

type Handler = (state: AutoScalingState, params: QueryParams) => XmlElement[];

/** Auto Scaling lists: `<Name><member>…</member></Name>`. */
function memberList(name: string, items: readonly (readonly XmlElement[])[]): XmlElement {
  return el(
    name,
    items.map((children) => el("member", children)),
  );
}

function required(params: QueryParams, name: string): string {
  const value = params.get(name);
  if (!value)
    throw new AutoScalingError(
      "ValidationError",
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}

function launchTemplateSpec(state: AutoScalingState, group: GroupRecord): XmlElement[] {
  const spec = group.launchTemplate;
  if (!spec) return [];
  return [
    el("LaunchTemplateId", spec.launchTemplateId),
    el("LaunchTemplateName", state.launchTemplateName(spec.launchTemplateId)),
    el("Version", spec.version ?? "$Default"),
  ];
}

function activity(group: GroupRecord, instanceId: string, description: string, at: number): XmlElement[] {
  return [
    el("ActivityId", randomUUID()),
    el("AutoScalingGroupName", group.name),
    el("Description", `${description}: ${instanceId}`),
    el("Cause", `At ${new Date(at).toISOString()} instance ${instanceId} was moved by a user request.`),
    el("StartTime", new Date(at).toISOString()),
    el("StatusCode", "InProgress"),
    el("Progress", 50),
  ];
}

function memberElements(
  state: AutoScalingState,
  group: GroupRecord,
  instanceId: string,
  lifecycle: LifecycleState,
): XmlElement[] {
  const template = launchTemplateSpec(state, group);
  return [
    el("InstanceId", instanceId),
    el("AvailabilityZone", state.availabilityZone),
    el("LifecycleState", lifecycle),
    el("HealthStatus", "HEALTHY"),
    el("LaunchConfigurationName", group.launchConfigurationName),
    el("LaunchTemplate", template.length > 0 ? template : undefined),
    el("ProtectedFromScaleIn", false),
  ];
}

const HANDLERS: Readonly<Record<string, Handler>> = {
  DescribeAutoScalingInstances(state, params) {
    const ids = listParam(params, "InstanceIds.member");
    const found = (ids.length > 0 ? ids : state.groups.all().flatMap((g) => [...g.members.keys()]))
      .map((id) => state.groups.memberOf(id))
      .filter((m) => m !== undefined);
    return [
      el("DescribeAutoScalingInstancesResult", [
        memberList(
          "AutoScalingInstances",
          found.map(({ group, member }) => [
            el("AutoScalingGroupName", group.name),
            ...memberElements(state, group, member.instanceId, member.state),
          ]),
        ),
      ]),
    ];
  },
  DescribeAutoScalingGroups(state, params) {
    const names = listParam(params, "AutoScalingGroupNames.member");
    const groups = state.groups.all().filter((g) => names.length === 0 || names.includes(g.name));
    return [
      el("DescribeAutoScalingGroupsResult", [
        memberList(
          "AutoScalingGroups",
          groups.map((group) => {
            const template = launchTemplateSpec(state, group);
            const mixed = group.launchTemplate?.mixedInstancesPolicy === true;
            return [
              el("AutoScalingGroupName", group.name),
              el("AutoScalingGroupARN", group.arn),
              el("LaunchConfigurationName", group.launchConfigurationName),
              el("LaunchTemplate", template.length > 0 && !mixed ? template : undefined),
              el(
                "MixedInstancesPolicy",
                mixed ? [el("LaunchTemplate", [el("LaunchTemplateSpecification", template)])] : undefined,
              ),
              el("MinSize", group.minSize),
              el("MaxSize", group.maxSize),
              el("DesiredCapacity", group.desiredCapacity),
              el("DefaultCooldown", 300),
              el("AvailabilityZones", [el("member", state.availabilityZone)]),
              el("HealthCheckType", "EC2"),
              el("HealthCheckGracePeriod", 300),
              memberList(
                "Instances",
                [...group.members.values()].map((m) => memberElements(state, group, m.instanceId, m.state)),
              ),
              el("CreatedTime", new Date(group.createdAt).toISOString()),
            ];
          }),
        ),
      ]),
    ];
  },
  DescribeLifecycleHooks(state, params) {
    const name = required(params, "AutoScalingGroupName");
    const group = state.groups.get(name);
    if (!group) throw new AutoScalingError("ValidationError", `AutoScalingGroup name not found - ${name}`);
    const wanted = listParam(params, "LifecycleHookNames.member");
    return [
      el("DescribeLifecycleHooksResult", [
        memberList(
          "LifecycleHooks",
          group.hooks
            .filter((h) => wanted.length === 0 || wanted.includes(h.name))
            .map((hook) => [
              el("LifecycleHookName", hook.name),
              el("AutoScalingGroupName", group.name),
              el("LifecycleTransition", hook.transition),
              el("HeartbeatTimeout", hook.heartbeatSeconds),
              el("GlobalTimeout", hook.heartbeatSeconds * 100),
              el("DefaultResult", hook.defaultResult),
            ]),
        ),
      ]),
    ];
  },
  EnterStandby(state, params) {
    const name = required(params, "AutoScalingGroupName");
    const decrement = required(params, "ShouldDecrementDesiredCapacity") === "true";
    const ids = listParam(params, "InstanceIds.member");
    const at = state.now();
    const members = state.groups.enterStandby(name, ids, decrement);
    const group = state.groups.get(name) as GroupRecord;
    return [
      el("EnterStandbyResult", [
        memberList(
          "Activities",
          members.map((m) => activity(group, m.instanceId, "Moving EC2 instance to Standby", at)),
        ),
      ]),
    ];
  },
  ExitStandby(state, params) {
    const name = required(params, "AutoScalingGroupName");
    const ids = listParam(params, "InstanceIds.member");
    const at = state.now();
    const members = state.groups.exitStandby(name, ids);
    const group = state.groups.get(name) as GroupRecord;
    return [
      el("ExitStandbyResult", [
        memberList(
          "Activities",
          members.map((m) => activity(group, m.instanceId, "Moving EC2 instance out of Standby", at)),
        ),
      ]),
    ];
  },
  CompleteLifecycleAction(state, params) {
    state.groups.completeLifecycleAction(
      required(params, "AutoScalingGroupName"),
      required(params, "LifecycleHookName"),
      required(params, "InstanceId"),
    );
    return [el("CompleteLifecycleActionResult", [])];
  },
};

/** The Auto Scaling actions the emulator answers. */
export const AUTO_SCALING_ACTIONS: readonly string[] = Object.keys(HANDLERS);

export function handleAutoScalingRequest(state: AutoScalingState, params: QueryParams): HttpReply {
  const requestId = randomUUID();
  const action = params.get("Action") ?? "";
  const at = state.now();
  let reply: HttpReply;
  let errorCode: string | undefined;
  try {
    const handler = HANDLERS[action];
    if (!handler)
      throw new AutoScalingError("InvalidAction", `The action ${action} is not valid for this web service.`);
    const fault = state.faults.take(action, false, params);
    if (fault) throw new AutoScalingError(fault.code, fault.message, fault.status ?? httpStatusFor(fault.code));
    if (!state.permissions.isAllowed(action)) {
      throw new AutoScalingError(
        "AccessDenied",
        `User: arn:aws:iam::123456789012:user/emulator is not authorized to perform: autoscaling:${action} because no identity-based policy allows the autoscaling:${action} action`,
        403,
      );
    }
    const body = handler(state, params);
    reply = xmlReply(
      200,
      requestId,
      renderDocument(`${action}Response`, [...body, el("ResponseMetadata", [el("RequestId", requestId)])], NAMESPACE),
    );
  } catch (error) {
    const refusal =
      error instanceof AutoScalingError
        ? error
        : new AutoScalingError(
            "InternalFailure",
            error instanceof Error ? `Emulator bug: ${error.message}` : "Emulator bug",
            500,
          );
    errorCode = refusal.code;
    reply = xmlReply(
      refusal.status,
      requestId,
      renderDocument(
        "ErrorResponse",
        [
          el("Error", [
            el("Type", refusal.status >= 500 ? "Receiver" : "Sender"),
            el("Code", refusal.code),
            el("Message", refusal.message),
          ]),
          el("RequestId", requestId),
        ],
        NAMESPACE,
      ),
    );
  }
  const single = params.get("InstanceId");
  state.calls.append({
    at,
    action,
    instanceIds: [...listParam(params, "InstanceIds.member"), ...(single ? [single] : [])],
    dryRun: false,
    params: Object.fromEntries(params),
    errorCode,
  });
  return reply;
}

function xmlReply(status: number, requestId: string, body: string): HttpReply {
  return { status, headers: { "content-type": "text/xml", "x-amzn-requestid": requestId }, body };
}
