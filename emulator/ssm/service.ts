// Answers Systems Manager requests (awsJson1_1: POST with `X-Amz-Target: AmazonSSM.<Action>`):
// DescribeInstanceInformation, SendCommand and GetCommandInvocation, with the same fault
// injection, simulated IAM and call log as the EC2 actions.

import { randomUUID } from "node:crypto";
import { ACCOUNT_ID } from "../constants";
import type { EmulatorState, HttpReply } from "../dispatch";
import type { InstanceRecord } from "../instances";
import { CommandStore, statusAt } from "./commands";
import { DEFAULT_GUEST, type GuestSettings, guestView } from "./guest";
import { runPowerShellScript, runShellScript, type ScriptResult } from "./shell";

export const SSM_TARGET_PREFIX = "AmazonSSM.";

/** The SSM actions the emulator answers. */
export const SSM_ACTIONS = ["DescribeInstanceInformation", "SendCommand", "GetCommandInvocation"] as const;

const DOCUMENTS: Record<string, { plugin: string; platform: "linux" | "windows" }> = {
  "AWS-RunShellScript": { plugin: "aws:runShellScript", platform: "linux" },
  "AWS-RunPowerShellScript": { plugin: "aws:runPowerShellScript", platform: "windows" },
};

class SsmError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

export class SsmService {
  private readonly guests = new Map<string, GuestSettings>();
  readonly commands = new CommandStore();
  /** How long a command runs in the guest (emulator clock). */
  runMs = 100;

  constructor(private readonly state: EmulatorState) {}

  guest(instanceId: string): GuestSettings {
    this.state.store.require(instanceId);
    return { ...(this.guests.get(instanceId) ?? DEFAULT_GUEST) };
  }

  setGuest(instanceId: string, settings: Partial<GuestSettings>): GuestSettings {
    const next = { ...this.guest(instanceId), ...settings };
    this.guests.set(instanceId, next);
    return next;
  }

  handle(target: string, body: unknown): HttpReply {
    const requestId = randomUUID();
    const action = target.slice(SSM_TARGET_PREFIX.length);
    const input: Json = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Json) : {};
    const instanceIds = instanceIdsOf(input);
    let reply: HttpReply;
    let errorCode: string | undefined;
    try {
      reply = jsonReply(200, requestId, this.run(action, input, instanceIds));
    } catch (error) {
      const ssmError = error instanceof SsmError ? error : new SsmError("InternalServerError", String(error), 500);
      errorCode = ssmError.code;
      reply = jsonReply(ssmError.status, requestId, { __type: ssmError.code, message: ssmError.message });
    }
    this.state.calls.append({
      at: this.state.now(),
      action,
      instanceIds,
      dryRun: false,
      params: Object.fromEntries(
        Object.entries(input).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
      ),
      errorCode,
    });
    return reply;
  }

  private run(action: string, input: Json, instanceIds: string[]): Json {
    if (!(SSM_ACTIONS as readonly string[]).includes(action) || this.state.faults.isUnimplemented(action)) {
      throw new SsmError("UnknownOperationException", `The operation ${action} is not supported by this endpoint.`);
    }
    const fault = this.state.faults.take(
      action,
      false,
      new Map(instanceIds.map((id, i) => [`InstanceId.${i + 1}`, id])),
    );
    if (fault) throw new SsmError(fault.code, fault.message, fault.status ?? statusFor(fault.code));
    if (!this.state.permissions.isAllowed(action) || !this.state.permissions.isAllowed(`ssm:${action}`)) {
      throw new SsmError(
        "AccessDeniedException",
        `User: arn:aws:iam::${ACCOUNT_ID}:user/emulator is not authorized to perform: ssm:${action} on resource: arn:aws:ssm:${this.state.region}:${ACCOUNT_ID}:*`,
      );
    }
    switch (action) {
      case "DescribeInstanceInformation":
        return this.describeInstanceInformation(instanceIds);
      case "SendCommand":
        return this.sendCommand(input, instanceIds);
      default:
        return this.getCommandInvocation(input);
    }
  }

  /** Instances with a registered agent; `Online` while running, `ConnectionLost` otherwise. */
  private describeInstanceInformation(instanceIds: string[]): Json {
    const records = instanceIds.length > 0 ? instanceIds.map((id) => this.state.store.get(id)) : this.state.store.all();
    const registered = records.filter(
      (r): r is InstanceRecord => r !== undefined && this.guestOf(r.instanceId).ssmAgent === "online",
    );
    return {
      InstanceInformationList: registered.map((record) => ({
        InstanceId: record.instanceId,
        PingStatus: record.state === "running" ? "Online" : "ConnectionLost",
        LastPingDateTime: this.state.now() / 1000,
        AgentVersion: "3.3.1142.0",
        IsLatestVersion: true,
        PlatformType: record.platform === "windows" ? "Windows" : "Linux",
        PlatformName: record.platform === "windows" ? "Microsoft Windows Server 2022 Datacenter" : "Amazon Linux",
        PlatformVersion: record.platform === "windows" ? "10.0.20348" : "2023",
        ResourceType: "EC2Instance",
        IPAddress: record.privateIp,
        ComputerName: `ip-${record.privateIp.replaceAll(".", "-")}.ec2.internal`,
      })),
    };
  }

  private sendCommand(input: Json, instanceIds: string[]): Json {
    const documentName = typeof input.DocumentName === "string" ? input.DocumentName : "";
    const document = DOCUMENTS[documentName];
    if (!document) throw new SsmError("InvalidDocument", `Document ${documentName} does not exist in your account.`);
    if (instanceIds.length === 0) throw new SsmError("ValidationException", "InstanceIds or Targets must be given.");
    const offline = instanceIds.filter((id) => {
      const record = this.state.store.get(id);
      return record?.state !== "running" || this.guestOf(id).ssmAgent !== "online";
    });
    if (offline.length > 0) {
      throw new SsmError(
        "InvalidInstanceId",
        `Instances [[${offline.join(", ")}]] not in a valid state for account ${ACCOUNT_ID}`,
      );
    }
    const parameters = (input.Parameters ?? {}) as Record<string, unknown>;
    const commands = Array.isArray(parameters.commands) ? parameters.commands.map(String) : [];
    const comment = typeof input.Comment === "string" ? input.Comment : "";
    const at = this.state.now();
    const commandId = this.commands.send(documentName, comment, instanceIds, at, this.runMs, (id) =>
      this.runIn(id, document.platform, documentName, commands),
    );
    return {
      Command: {
        CommandId: commandId,
        DocumentName: documentName,
        Comment: comment,
        InstanceIds: instanceIds,
        Parameters: parameters,
        RequestedDateTime: at / 1000,
        Status: "Pending",
        StatusDetails: "Pending",
        TargetCount: instanceIds.length,
      },
    };
  }

  private runIn(
    instanceId: string,
    platform: "linux" | "windows",
    documentName: string,
    commands: string[],
  ): ScriptResult {
    const view = guestView(this.state.store.require(instanceId), this.guestOf(instanceId));
    if (view.platform !== platform) {
      return { stdout: "", stderr: `${documentName} does not run on ${view.platform} instances.\n`, exitCode: 1 };
    }
    return platform === "windows" ? runPowerShellScript(commands, view) : runShellScript(commands, view);
  }

  private getCommandInvocation(input: Json): Json {
    const commandId = typeof input.CommandId === "string" ? input.CommandId : "";
    const instanceId = typeof input.InstanceId === "string" ? input.InstanceId : "";
    const invocation = this.commands.get(commandId, instanceId);
    if (!invocation) throw new SsmError("InvocationDoesNotExist", "");
    const status = statusAt(invocation, this.state.now());
    const done = status === "Success" || status === "Failed";
    return {
      CommandId: commandId,
      InstanceId: instanceId,
      Comment: invocation.comment,
      DocumentName: invocation.documentName,
      DocumentVersion: "$DEFAULT",
      PluginName: DOCUMENTS[invocation.documentName]?.plugin,
      ResponseCode: done ? invocation.result.exitCode : -1,
      ExecutionStartDateTime: status === "Pending" ? "" : new Date(invocation.sentAt).toISOString(),
      ExecutionEndDateTime: done ? new Date(invocation.completesAt).toISOString() : "",
      Status: status,
      StatusDetails: status,
      StandardOutputContent: done ? invocation.result.stdout : "",
      StandardOutputUrl: "",
      StandardErrorContent: done ? invocation.result.stderr : "",
      StandardErrorUrl: "",
    };
  }

  private guestOf(instanceId: string): GuestSettings {
    return this.guests.get(instanceId) ?? DEFAULT_GUEST;
  }
}

/** The instances a request names: `InstanceIds`, `InstanceId`, or an `InstanceIds` filter. */
function instanceIdsOf(input: Json): string[] {
  const ids: string[] = [];
  if (Array.isArray(input.InstanceIds)) ids.push(...input.InstanceIds.map(String));
  if (typeof input.InstanceId === "string") ids.push(input.InstanceId);
  for (const filter of Array.isArray(input.Filters) ? (input.Filters as Json[]) : []) {
    if (filter.Key === "InstanceIds" && Array.isArray(filter.Values)) ids.push(...filter.Values.map(String));
  }
  for (const filter of Array.isArray(input.InstanceInformationFilterList)
    ? (input.InstanceInformationFilterList as Json[])
    : []) {
    if (filter.key === "InstanceIds" && Array.isArray(filter.valueSet)) ids.push(...filter.valueSet.map(String));
  }
  return [...new Set(ids)];
}

function statusFor(code: string): number {
  if (/^Internal/.test(code)) return 500;
  if (code === "ServiceUnavailable") return 503;
  return 400;
}

function jsonReply(status: number, requestId: string, body: Json): HttpReply {
  return {
    status,
    headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": requestId },
    body: JSON.stringify(body),
  };
}
