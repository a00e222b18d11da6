import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  type InstanceInformation,
  SendCommandCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { Batcher } from "./batcher";
import { awsErrorCode } from "./errors";
import { FleetRetryStrategy, scopeRetriesByOperation } from "./retry";
import type { AwsConnection } from "./types";

/** Attempts per call, as for EC2 (AWS_MAX_ATTEMPTS overrides it). */
const DEFAULT_MAX_ATTEMPTS = 25;

/** DescribeInstanceInformation accepts up to 50 values in its InstanceIds filter. */
const MAX_INFORMATION_IDS = 50;

/** Lookups of agents made within this long of each other go out as one call. */
const BATCH_WINDOW_MS = 15;
const BATCH_MAX_WAIT_MS = 100;

/** The SSM actions the engine calls (for the IAM policy and the docs). */
export type SsmAction = "DescribeInstanceInformation" | "SendCommand" | "GetCommandInvocation";

/**
 * The only place that talks to Systems Manager, for the in-guest check (verifyInGuest). Same
 * conventions as Ec2Gateway: one client per connection (its Session's), the fleet retry strategy, one method per call.
 */
export class SsmGateway {
  private readonly agents = new Batcher<string, InstanceInformation>(
    (ids) => this.describeInstanceInformation(ids),
    MAX_INFORMATION_IDS,
    BATCH_WINDOW_MS,
    BATCH_MAX_WAIT_MS,
  );

  constructor(readonly client: SSMClient) {
    scopeRetriesByOperation(client);
  }

  /**
   * The region, profile and endpoint of the EC2 connection. An explicit endpoint (the provider's
   * `endpoint` setting, an emulator) serves SSM as well, unless AWS_ENDPOINT_URL_SSM (or
   * AWS_ENDPOINT_URL) names SSM's own, which the SDK then reads itself.
   */
  static connect(connection: AwsConnection): SsmGateway {
    const maxAttempts = Number(process.env.AWS_MAX_ATTEMPTS) || DEFAULT_MAX_ATTEMPTS;
    const ownEndpoint = process.env.AWS_ENDPOINT_URL_SSM ?? process.env.AWS_ENDPOINT_URL;
    return new SsmGateway(
      new SSMClient({
        ...(connection.region ? { region: connection.region } : {}),
        ...(connection.profile ? { profile: connection.profile } : {}),
        ...(connection.endpoint && !ownEndpoint ? { endpoint: connection.endpoint } : {}),
        retryStrategy: new FleetRetryStrategy(maxAttempts),
      }),
    );
  }

  /** The instance's managed agent as SSM knows it; undefined when none is registered. Batched across instances. */
  agent(instanceId: string): Promise<InstanceInformation | undefined> {
    return this.agents.load(instanceId);
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
}
