import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  type InstanceInformation,
  SendCommandCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { Batcher, GATHERED } from "./batcher";
import { clientConfig } from "./client-config";
import { awsErrorCode } from "./errors";
import { type Observed, PollBudget, reportingFailures, SharedPoller } from "./poller";
import { scopeRetriesByOperation } from "./retry";
import type { AwsConnection } from "./types";

/** DescribeInstanceInformation accepts up to 50 values in its InstanceIds filter. */
const MAX_INFORMATION_IDS = 50;

/** Invocations looked at side by side in one tick of the invocation poller. */
const MAX_INVOCATIONS_PER_TICK = 50;

/** The SSM actions the engine calls (for the IAM policy and the docs). */
export type SsmAction = "DescribeInstanceInformation" | "SendCommand" | "GetCommandInvocation";

/**
 * The only place that talks to Systems Manager, for the in-guest check (verifyInGuest). Same
 * conventions as Ec2Gateway: one client per connection (its Session's), the fleet retry strategy, one method per call.
 */
export class SsmGateway {
  private readonly agents = new Batcher<string, InstanceInformation>({
    maxBatch: MAX_INFORMATION_IDS,
    ...GATHERED,
  });

  /** One polling loop per connection for every wait for an agent to come online (see guest-check.ts). */
  readonly agentPoller = new SharedPoller<Observed<InstanceInformation>>({
    fetch: reportingFailures((ids) => this.describeInstanceInformation(ids)),
    maxKeysPerCall: MAX_INFORMATION_IDS,
    budget: new PollBudget(),
  });

  /**
   * One polling loop per connection for every wait for a command to finish, keyed by invocationKey.
   * GetCommandInvocation reads one invocation: a tick's looks go out side by side and count as one
   * against the budget, so each check still looks once per interval however many run.
   */
  readonly invocationPoller = new SharedPoller<Observed<GetCommandInvocationCommandOutput>>({
    fetch: (keys) => this.invocations(keys),
    maxKeysPerCall: MAX_INVOCATIONS_PER_TICK,
    budget: new PollBudget(),
  });

  constructor(readonly client: SSMClient) {
    scopeRetriesByOperation(client);
  }

  /**
   * The region, profile and endpoint of the EC2 connection. An explicit endpoint (the provider's
   * `endpoint` setting, an emulator) serves SSM as well, unless AWS_ENDPOINT_URL_SSM (or
   * AWS_ENDPOINT_URL) names SSM's own, which the SDK then reads itself.
   */
  static connect(connection: AwsConnection): SsmGateway {
    const ownEndpoint = process.env.AWS_ENDPOINT_URL_SSM ?? process.env.AWS_ENDPOINT_URL;
    return new SsmGateway(
      new SSMClient(clientConfig(connection, undefined, ownEndpoint ? undefined : connection.endpoint)),
    );
  }

  /** The instance's managed agent as SSM knows it; undefined when none is registered. Batched across instances. */
  agent(instanceId: string): Promise<InstanceInformation | undefined> {
    return this.agents.load(instanceId, (ids) => this.describeInstanceInformation(ids));
  }

  private async describeInstanceInformation(instanceIds: string[]): Promise<Map<string, InstanceInformation>> {
    const found = new Map<string, InstanceInformation>();
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(
        new DescribeInstanceInformationCommand({
          Filters: [{ Key: "InstanceIds", Values: instanceIds }],
          NextToken: nextToken,
        }),
      );
      for (const info of out.InstanceInformationList ?? []) if (info.InstanceId) found.set(info.InstanceId, info);
      nextToken = out.NextToken;
    } while (nextToken);
    return found;
  }

  /** Sends one Run Command document to one instance; returns the command's ID. */
  async sendCommand(
    instanceId: string,
    documentName: string,
    commands: readonly string[],
    timeoutSeconds: number,
  ): Promise<string> {
    const out = await this.client.send(
      new SendCommandCommand({
        InstanceIds: [instanceId],
        DocumentName: documentName,
        Comment: "nestedvirt: check nested virtualization inside the guest",
        Parameters: { commands: [...commands], executionTimeout: [String(Math.max(30, Math.ceil(timeoutSeconds)))] },
        TimeoutSeconds: Math.max(30, Math.ceil(timeoutSeconds)),
      }),
    );
    const commandId = out.Command?.CommandId;
    if (!commandId) throw new Error("SendCommand answered without a CommandId");
    return commandId;
  }

  /** The command's invocation on the instance; undefined while SSM does not know it yet (InvocationDoesNotExist). */
  async commandInvocation(
    commandId: string,
    instanceId: string,
  ): Promise<GetCommandInvocationCommandOutput | undefined> {
    try {
      return await this.client.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    } catch (error) {
      if (awsErrorCode(error) === "InvocationDoesNotExist") return undefined;
      throw error;
    }
  }

  /** The invocationPoller's key of the invocation of command `commandId` on the instance (read back by `invocations`). */
  invocationKey(commandId: string, instanceId: string): string {
    return `${instanceId} ${commandId}`;
  }

  /** Each key's invocation, read side by side (one call each), or the error of its call. */
  private async invocations(keys: string[]): Promise<Map<string, Observed<GetCommandInvocationCommandOutput>>> {
    const lookAt = reportingFailures(async ([key = ""]) => {
      const [instanceId = "", commandId = ""] = key.split(" ");
      const invocation = await this.commandInvocation(commandId, instanceId);
      return new Map(invocation ? [[key, invocation]] : []);
    });
    const looks = await Promise.all(keys.map((key) => lookAt([key])));
    return new Map(looks.flatMap((look) => [...look]));
  }
}
