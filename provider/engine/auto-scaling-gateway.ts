import {
  AutoScalingClient,
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  type LifecycleHook,
} from "@aws-sdk/client-auto-scaling";
import { Batcher, GATHERED } from "./batcher";
import { clientConfig } from "./client-config";
import { PollBudget, SharedPoller } from "./poller";
import { scopeRetriesByOperation } from "./retry";
import type { AwsConnection } from "./types";

/** DescribeAutoScalingInstances takes at most 50 instance IDs, DescribeAutoScalingGroups 100 names. */
const MAX_INSTANCES_PER_CALL = 50;
const MAX_GROUPS_PER_CALL = 100;

/** An instance's place in its group, as DescribeAutoScalingInstances reports it. */
export interface GroupMembership {
  groupName: string;
  /** InService, Standby, EnteringStandby, Pending, Pending:Wait, … */
  lifecycleState: string;
}

/**
 * The only place that talks to Auto Scaling, following the EC2 gateway's conventions: the same
 * connection (region, profile, endpoint: one emulator answers both in tests; the SDK's
 * AWS_ENDPOINT_URL_AUTO_SCALING applies otherwise), the same retry strategy, lookups made together
 * sent as one call.
 */
export class AutoScalingGateway {
  private readonly members = new Batcher<string, GroupMembership>({
    maxBatch: MAX_INSTANCES_PER_CALL,
    ...GATHERED,
  });
  private readonly groups = new Batcher<string, AutoScalingGroup>({
    maxBatch: MAX_GROUPS_PER_CALL,
    ...GATHERED,
  });

  /**
   * One polling loop per connection for every wait on a member's lifecycle state (Standby,
   * InService), as the EC2 gateway's poller does for instance states: one DescribeAutoScalingInstances
   * per tick for all of them.
   */
  readonly memberPoller = new SharedPoller<GroupMembership>({
    fetch: (ids) => this.describeMembers(ids),
    maxKeysPerCall: MAX_INSTANCES_PER_CALL,
    budget: new PollBudget(),
  });

  constructor(readonly client: AutoScalingClient) {
    scopeRetriesByOperation(client);
  }

  static connect(connection: AwsConnection): AutoScalingGateway {
    return new AutoScalingGateway(new AutoScalingClient(clientConfig(connection)));
  }

  /** The instance's group and lifecycle state; undefined when it belongs to no group. */
  membership(instanceId: string): Promise<GroupMembership | undefined> {
    return this.members.load(instanceId, (ids) => this.describeMembers(ids));
  }

  private async describeMembers(instanceIds: string[]): Promise<Map<string, GroupMembership>> {
    const out = await this.client.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: instanceIds }));
    const found = new Map<string, GroupMembership>();
    for (const member of out.AutoScalingInstances ?? []) {
      if (member.InstanceId && member.AutoScalingGroupName) {
        found.set(member.InstanceId, {
          groupName: member.AutoScalingGroupName,
          lifecycleState: member.LifecycleState ?? "",
        });
      }
    }
    return found;
  }

  /** The group's description (sizes, launch template or mixed instances policy); undefined when unknown. */
  group(name: string): Promise<AutoScalingGroup | undefined> {
    return this.groups.load(name, (names) => this.describeGroups(names));
  }

  private async describeGroups(names: string[]): Promise<Map<string, AutoScalingGroup>> {
    const out = await this.client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names }));
    return new Map((out.AutoScalingGroups ?? []).map((g) => [g.AutoScalingGroupName ?? "", g]));
  }

  /** The group's lifecycle hooks. */
  async lifecycleHooks(groupName: string): Promise<LifecycleHook[]> {
    const out = await this.client.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: groupName }));
    return out.LifecycleHooks ?? [];
  }

  /**
   * EnterStandby, decrementing the desired capacity: the group then launches no replacement for
   * the instance (it would without the decrement), and ExitStandby increments it again.
   */
  async enterStandby(groupName: string, instanceId: string): Promise<void> {
    await this.client.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: groupName,
        InstanceIds: [instanceId],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
  }

  async exitStandby(groupName: string, instanceId: string): Promise<void> {
    await this.client.send(new ExitStandbyCommand({ AutoScalingGroupName: groupName, InstanceIds: [instanceId] }));
  }
}
