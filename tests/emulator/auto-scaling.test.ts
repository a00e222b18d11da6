import {
  AutoScalingClient,
  AutoScalingServiceException,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeLaunchTemplateVersionsCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { expect } from "chai";
import { type Ec2Emulator, GROUP_NAME_TAG, startEmulator } from "../../emulator";
import { ec2Client, expectEc2Error, ManualClock } from "./helpers";

/** Awaits a rejected Auto Scaling call and returns its error code. */
async function autoScalingError(promise: Promise<unknown>): Promise<AutoScalingServiceException> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(AutoScalingServiceException);
    return error as AutoScalingServiceException;
  }
  throw new Error("expected the call to fail");
}

describe("emulator: Auto Scaling groups and launch templates (real SDK clients, manual clock)", () => {
  const clock = new ManualClock();
  let emulator: Ec2Emulator;
  let autoScaling: AutoScalingClient;
  let member: string;
  let launchTemplateId: string;

  beforeEach(async () => {
    emulator = await startEmulator({ stoppingMs: 1000, pendingMs: 1000, autoScalingTransitionMs: 500, now: clock.now });
    autoScaling = new AutoScalingClient({
      endpoint: emulator.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    member = emulator.addInstance({ state: "running" });
    launchTemplateId = emulator.addLaunchTemplate("runners", [{}, { nestedVirtualization: "enabled" }]);
    emulator.addAutoScalingGroup({
      name: "ci",
      instanceIds: [member],
      minSize: 0,
      launchTemplate: { launchTemplateId, version: "$Latest" },
      lifecycleHooks: [{ name: "warm", heartbeatSeconds: 60 }],
    });
  });
  afterEach(async () => {
    autoScaling.destroy();
    await emulator.close();
  });

  const lifecycle = async () =>
    (await autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [member] })))
      .AutoScalingInstances?.[0]?.LifecycleState;

  it("tags members with the group's name and describes the group and its launch template", async () => {
    expect(emulator.instance(member).tags[GROUP_NAME_TAG]).to.equal("ci");
    const out = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["ci"] }));
    expect(out.AutoScalingGroups?.[0]).to.deep.include({ MinSize: 0, DesiredCapacity: 1 });
    expect(out.AutoScalingGroups?.[0]?.LaunchTemplate).to.deep.include({ LaunchTemplateId: launchTemplateId });
    expect(emulator.calls.map((c) => c.action)).to.deep.equal(["DescribeAutoScalingGroups"]);
  });

  it("EnterStandby (decrementing) passes through EnteringStandby; ExitStandby waits in Pending:Wait for the launch hook", async () => {
    await autoScaling.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: "ci",
        InstanceIds: [member],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    expect(await lifecycle()).to.equal("EnteringStandby");
    clock.advance(500);
    expect(await lifecycle()).to.equal("Standby");
    expect(emulator.autoScalingGroup("ci").desiredCapacity).to.equal(0);

    await autoScaling.send(new ExitStandbyCommand({ AutoScalingGroupName: "ci", InstanceIds: [member] }));
    clock.advance(500);
    expect(await lifecycle()).to.equal("Pending:Wait");
    await autoScaling.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: "ci",
        LifecycleHookName: "warm",
        InstanceId: member,
        LifecycleActionResult: "CONTINUE",
      }),
    );
    expect(await lifecycle()).to.equal("InService");
    expect(emulator.autoScalingGroup("ci").desiredCapacity).to.equal(1);
    expect(emulator.mutatingCalls().map((c) => c.action)).to.deep.equal([
      "EnterStandby",
      "ExitStandby",
      "CompleteLifecycleAction",
    ]);
  });

  it("a hook's heartbeat timeout lets the member in with the default result", async () => {
    await autoScaling.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: "ci",
        InstanceIds: [member],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    clock.advance(500);
    await autoScaling.send(new ExitStandbyCommand({ AutoScalingGroupName: "ci", InstanceIds: [member] }));
    clock.advance(500 + 59_000);
    expect(await lifecycle()).to.equal("Pending:Wait");
    clock.advance(1000);
    expect(await lifecycle()).to.equal("InService");
  });

  it("refuses what Auto Scaling refuses: a member not InService, the minimum size, a denied action", async () => {
    const atMinimum = emulator.addInstance({ state: "running" });
    emulator.addAutoScalingGroup({ name: "at-min", instanceIds: [atMinimum], minSize: 1 });
    const belowMin = await autoScalingError(
      autoScaling.send(
        new EnterStandbyCommand({
          AutoScalingGroupName: "at-min",
          InstanceIds: [atMinimum],
          ShouldDecrementDesiredCapacity: true,
        }),
      ),
    );
    expect(belowMin.name).to.equal("ValidationError");
    expect(belowMin.message).to.contain("minimum size");
    const notStandby = await autoScalingError(
      autoScaling.send(new ExitStandbyCommand({ AutoScalingGroupName: "ci", InstanceIds: [member] })),
    );
    expect(notStandby.message).to.contain("is not in Standby");
    emulator.permissions.deny("EnterStandby");
    const denied = await autoScalingError(
      autoScaling.send(
        new EnterStandbyCommand({
          AutoScalingGroupName: "ci",
          InstanceIds: [member],
          ShouldDecrementDesiredCapacity: false,
        }),
      ),
    );
    expect(denied.name).to.equal("AccessDenied");
    expect(denied.$metadata.httpStatusCode).to.equal(403);
  });

  it("replaces an InService member it finds stopped, from the launch template version the group names", async () => {
    const ec2 = ec2Client(emulator);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [member] }));
    const group = emulator.autoScalingGroup("ci");
    expect(group.replacementsLaunched).to.have.length(1);
    const replacement = group.replacementsLaunched[0] ?? "";
    expect(emulator.instance(replacement)).to.deep.include({ state: "running", nestedVirtualization: "enabled" });
    expect(emulator.instance(member).state).to.equal("shutting-down");
    ec2.destroy();
  });

  it("leaves a member in Standby alone when it is stopped", async () => {
    await autoScaling.send(
      new EnterStandbyCommand({
        AutoScalingGroupName: "ci",
        InstanceIds: [member],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    clock.advance(500);
    const ec2 = ec2Client(emulator);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [member] }));
    clock.advance(1000);
    expect(await lifecycle()).to.equal("Standby");
    expect(emulator.autoScalingGroup("ci").replacementsLaunched).to.deep.equal([]);
    ec2.destroy();
  });

  it("answers DescribeLaunchTemplateVersions with each version's CpuOptions.NestedVirtualization", async () => {
    const ec2 = ec2Client(emulator);
    const out = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, Versions: ["$Default", "2"] }),
    );
    expect(
      out.LaunchTemplateVersions?.map((v) => [v.VersionNumber, v.LaunchTemplateData?.CpuOptions?.NestedVirtualization]),
    ).to.deep.equal([
      [1, undefined],
      [2, "enabled"],
    ]);
    await expectEc2Error(
      ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: "lt-00000000000000000" })),
      "InvalidLaunchTemplateId.NotFound",
    );
    ec2.destroy();
  });
});
