import type { AutoScalingGroup, LaunchTemplateSpecification } from "@aws-sdk/client-auto-scaling";
import type { AutoScalingGateway } from "./auto-scaling-gateway";
import { awsErrorCode, describeError } from "./errors";
import type { Ec2Gateway } from "./gateway";
import type { DesiredState, PlanBlocker, PlanWarning } from "./types";

/** What reading an Auto Scaling member's group found, for the planner (PlanContext.group). */
export interface GroupFindings {
  warnings: PlanWarning[];
  /** Reasons the standby cannot work: only for plans that put the instance in Standby. */
  standbyBlockers: PlanBlocker[];
}

/**
 * Reads the member's group at preview/plan: whether the instances it launches later get nested
 * virtualization (its launch template version, or each template of its mixed instances policy,
 * sets CpuOptions.NestedVirtualization=enabled), and, for a standby, whether the group may shrink
 * by one (EnterStandby decrements the desired capacity, which cannot go below the minimum size).
 */
export async function checkGroup(
  ec2: Ec2Gateway,
  autoScaling: AutoScalingGateway,
  instanceId: string,
  groupName: string,
  desired: DesiredState,
  standby: boolean,
): Promise<GroupFindings> {
  let group: AutoScalingGroup | undefined;
  try {
    group = await autoScaling.group(groupName);
  } catch (error) {
    const denied = awsErrorCode(error) === "AccessDenied";
    const problem = `could not read Auto Scaling group "${groupName}" of ${instanceId} (DescribeAutoScalingGroups: ${describeError(error)})`;
    return standby
      ? {
          warnings: [],
          standbyBlockers: [
            {
              code: denied ? "missing-permission" : "auto-scaling-unreadable",
              attribute: "autoScaling",
              message: `${capitalized(problem)}, so its Standby cannot be planned. ${denied ? "Grant autoscaling:DescribeAutoScalingGroups (see the IAM policy in the README)." : "Run again later."}`,
            },
          ],
        }
      : {
          warnings: [
            launchTemplateWarning(
              `${capitalized(problem)}: whether the instances it launches later get nested virtualization is unknown.`,
            ),
          ],
          standbyBlockers: [],
        };
  }
  if (!group) return { warnings: [], standbyBlockers: [] };
  const standbyBlockers: PlanBlocker[] = standby ? await membershipBlockers(autoScaling, instanceId, groupName) : [];
  const min = group.MinSize ?? 0;
  const capacity = group.DesiredCapacity ?? 0;
  if (standby && capacity - 1 < min) {
    standbyBlockers.push({
      code: "auto-scaling-minimum-size",
      attribute: "autoScaling",
      message: `Auto Scaling group "${groupName}" of ${instanceId} is at its minimum size (desired capacity ${capacity}, MinSize ${min}): EnterStandby decrements the desired capacity so that the group launches no replacement, and cannot take it below the minimum. Lower the group's MinSize by one (by the rollout's maxUnavailable for several members) for the rollout, then run again.`,
    });
  }
  const warnings =
    desired.nestedVirtualization === "enabled" ? await launchTemplateWarnings(ec2, group, groupName) : [];
  return { warnings, standbyBlockers };
}

/**
 * The read the standby starts with (DescribeAutoScalingInstances), made at plan: Auto Scaling has no
 * DryRun, so a refused read is the way to learn of a missing permission before anything is touched.
 */
async function membershipBlockers(
  autoScaling: AutoScalingGateway,
  instanceId: string,
  groupName: string,
): Promise<PlanBlocker[]> {
  try {
    await autoScaling.membership(instanceId);
    return [];
  } catch (error) {
    const denied = awsErrorCode(error) === "AccessDenied";
    return [
      {
        code: denied ? "missing-permission" : "auto-scaling-unreadable",
        attribute: "autoScaling",
        message: denied
          ? `The caller may not call autoscaling:DescribeAutoScalingInstances, which the standby of ${instanceId} in Auto Scaling group "${groupName}" needs (${describeError(error)}). Grant it (and autoscaling:EnterStandby, autoscaling:ExitStandby); see the IAM policy in the README.`
          : `Could not read the Auto Scaling membership of ${instanceId} (DescribeAutoScalingInstances: ${describeError(error)}), so its Standby cannot be planned. Run again later.`,
      },
    ];
  }
}

async function launchTemplateWarnings(
  ec2: Ec2Gateway,
  group: AutoScalingGroup,
  groupName: string,
): Promise<PlanWarning[]> {
  const later = `Instances Auto Scaling group "${groupName}" launches later will not have nested virtualization`;
  if (group.LaunchConfigurationName) {
    return [
      launchTemplateWarning(
        `${later}: it launches from launch configuration ${group.LaunchConfigurationName}, which cannot set CPU options. Move the group to a launch template that sets CpuOptions.NestedVirtualization=enabled (cpu_options / cpuOptions).`,
      ),
    ];
  }
  const policy = group.MixedInstancesPolicy?.LaunchTemplate;
  const specs = [
    group.LaunchTemplate,
    policy?.LaunchTemplateSpecification,
    ...(policy?.Overrides ?? []).map((o) => o.LaunchTemplateSpecification),
  ].filter(
    (s): s is LaunchTemplateSpecification => s !== undefined && (!!s.LaunchTemplateId || !!s.LaunchTemplateName),
  );
  const warnings: PlanWarning[] = [];
  for (const spec of uniqueSpecs(specs)) {
    const template = spec.LaunchTemplateId ?? spec.LaunchTemplateName ?? "";
    const version = spec.Version ?? "$Default";
    try {
      const found = await ec2.launchTemplateVersion({
        ...(spec.LaunchTemplateId ? { id: spec.LaunchTemplateId } : { name: spec.LaunchTemplateName }),
        version,
      });
      if (found?.LaunchTemplateData?.CpuOptions?.NestedVirtualization === "enabled") continue;
      const which =
        found?.VersionNumber !== undefined ? `version ${found.VersionNumber} (${version})` : `version ${version}`;
      warnings.push(
        launchTemplateWarning(
          `${later}: its launch template ${template} ${which} does not set CpuOptions.NestedVirtualization=enabled. Set it in launch template ${template} (cpu_options { nested_virtualization = "enabled" } in Terraform, cpuOptions: { nestedVirtualization: "enabled" } in Pulumi) and point the group at that version.`,
        ),
      );
    } catch (error) {
      warnings.push(
        launchTemplateWarning(
          `${later} unless its launch template ${template} ${version} sets CpuOptions.NestedVirtualization=enabled, which could not be read (DescribeLaunchTemplateVersions: ${describeError(error)}).`,
        ),
      );
    }
  }
  return warnings;
}

function uniqueSpecs(specs: readonly LaunchTemplateSpecification[]): LaunchTemplateSpecification[] {
  const seen = new Set<string>();
  return specs.filter((s) => {
    const key = JSON.stringify([s.LaunchTemplateId ?? "", s.LaunchTemplateName ?? "", s.Version ?? "$Default"]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function launchTemplateWarning(message: string): PlanWarning {
  return { code: "launch-template-without-nested-virtualization", message };
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
