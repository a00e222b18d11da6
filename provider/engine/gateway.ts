import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  ModifyInstanceCpuOptionsCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  type Instance,
  type InstanceStatus,
  type InstanceTypeInfo,
} from "@aws-sdk/client-ec2";
import { Batcher } from "./batcher";
import { awsErrorCode } from "./errors";
import { FleetRetryStrategy } from "./retry";
import type { EC2_ACTIONS } from "./schema";
import type { AwsConnection, NestedVirtSetting } from "./types";

/** The EC2 actions that change something, and so are checked with DryRun before a cycle. */
export type MutatingAction = (typeof EC2_ACTIONS.instance)[number];

/** Attempts per call, including throttled ones; AWS_MAX_ATTEMPTS overrides it. */
const DEFAULT_MAX_ATTEMPTS = 25;

/** IDs per coalesced DescribeInstances call (EC2 accepts up to 1000). */
const DESCRIBE_BATCH_SIZE = 200;

/**
 * The only place that talks to EC2. Each method is one API call; retries of throttling and
 * transient errors happen inside the SDK's standard retry strategy.
 */
export class Ec2Gateway {
  private readonly instances = new Batcher<string, Instance>((ids) => this.describeInstances(ids), DESCRIBE_BATCH_SIZE);

  constructor(readonly client: EC2Client) {}

  static connect(connection: AwsConnection): Ec2Gateway {
    const maxAttempts = Number(process.env.AWS_MAX_ATTEMPTS) || DEFAULT_MAX_ATTEMPTS;
    return new Ec2Gateway(
      new EC2Client({
        ...(connection.region ? { region: connection.region } : {}),
        ...(connection.profile ? { profile: connection.profile } : {}),
        ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
        retryStrategy: new FleetRetryStrategy(maxAttempts),
      }),
    );
  }

  async region(): Promise<string> {
    return await this.client.config.region();
  }

  /**
   * One instance, or undefined when EC2 does not know the ID (any more). Lookups made together are
   * sent as one DescribeInstances call.
   */
  describeInstance(instanceId: string): Promise<Instance | undefined> {
    return this.instances.load(instanceId);
  }

  private async describeInstances(instanceIds: string[]): Promise<Map<string, Instance>> {
    try {
      const out = await this.client.send(new DescribeInstancesCommand({ InstanceIds: instanceIds }));
      const found = new Map<string, Instance>();
      for (const instance of out.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
        if (instance.InstanceId) found.set(instance.InstanceId, instance);
      }
      return found;
    } catch (error) {
      if (awsErrorCode(error) !== "InvalidInstanceID.NotFound") throw error;
      // EC2 fails the whole call for one unknown ID: ask for the others one by one.
      if (instanceIds.length === 1) return new Map();
      const singles = await Promise.all(instanceIds.map((id) => this.describeInstances([id])));
      return new Map(singles.flatMap((m) => [...m]));
    }
  }

  /** Status checks of one instance (any state); undefined when EC2 does not know it. */
  async describeInstanceStatus(instanceId: string): Promise<InstanceStatus | undefined> {
    try {
      const out = await this.client.send(
        new DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true }),
      );
      return out.InstanceStatuses?.[0];
    } catch (error) {
      if (awsErrorCode(error) === "InvalidInstanceID.NotFound") return undefined;
      throw error;
    }
  }

  async describeInstanceType(instanceType: string): Promise<InstanceTypeInfo | undefined> {
    try {
      const out = await this.client.send(
        new DescribeInstanceTypesCommand({
          InstanceTypes: [instanceType as InstanceTypeInfo["InstanceType"] & string],
        }),
      );
      return out.InstanceTypes?.[0];
    } catch (error) {
      if (awsErrorCode(error) === "InvalidInstanceType") return undefined;
      throw error;
    }
  }

  /** Whether stop protection (the `disableApiStop` attribute) is on: StopInstances would be refused. */
  async isStopProtected(instanceId: string): Promise<boolean> {
    const out = await this.client.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: "disableApiStop" }),
    );
    return out.DisableApiStop?.Value === true;
  }

  async stopInstance(instanceId: string, dryRun = false): Promise<void> {
    await this.client.send(new StopInstancesCommand({ InstanceIds: [instanceId], DryRun: dryRun }));
  }

  async startInstance(instanceId: string, dryRun = false): Promise<void> {
    await this.client.send(new StartInstancesCommand({ InstanceIds: [instanceId], DryRun: dryRun }));
  }

  async modifyNestedVirtualization(instanceId: string, setting: NestedVirtSetting, dryRun = false): Promise<void> {
    await this.client.send(
      new ModifyInstanceCpuOptionsCommand({ InstanceId: instanceId, NestedVirtualization: setting, DryRun: dryRun }),
    );
  }

  async createTag(instanceId: string, key: string, value: string, dryRun = false): Promise<void> {
    await this.client.send(
      new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: key, Value: value }], DryRun: dryRun }),
    );
  }

  async deleteTag(instanceId: string, key: string, dryRun = false): Promise<void> {
    await this.client.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: key }], DryRun: dryRun }));
  }

  /** Removes the tag only while it still has this value, so another run's newer tag is left alone. */
  async deleteTagValue(instanceId: string, key: string, value: string): Promise<void> {
    await this.client.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: key, Value: value }] }));
  }

  /** Asks EC2 whether the caller may perform `action` on the instance, without performing it. */
  async isPermitted(action: MutatingAction, instanceId: string): Promise<boolean> {
    try {
      await this.dryRunCall(action, instanceId);
      return true; // EC2 answers a permitted DryRun with an error, so success is unexpected but not a denial
    } catch (error) {
      return awsErrorCode(error) !== "UnauthorizedOperation";
    }
  }

  private async dryRunCall(action: MutatingAction, instanceId: string): Promise<void> {
    switch (action) {
      case "StopInstances":
        return this.stopInstance(instanceId, true);
      case "StartInstances":
        return this.startInstance(instanceId, true);
      case "ModifyInstanceCpuOptions":
        return this.modifyNestedVirtualization(instanceId, "enabled", true);
      case "CreateTags":
        return this.createTag(instanceId, "nestedvirt:permission-check", "", true);
      case "DeleteTags":
        return this.deleteTag(instanceId, "nestedvirt:permission-check", true);
    }
  }
}
