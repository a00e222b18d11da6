import { Ec2Error } from "../errors";
import { listParam } from "../query";
import { el, itemList } from "../xml";
import type { ActionHandler } from "./context";

/**
 * DescribeLaunchTemplateVersions of one template (by LaunchTemplateId or LaunchTemplateName), the
 * versions asked for (numbers, `$Default`, `$Latest`) or all of them, with the launch data the
 * emulator models: the instance type and CpuOptions.NestedVirtualization.
 */
export const describeLaunchTemplateVersions: ActionHandler = (ctx) => {
  const id = ctx.params.get("LaunchTemplateId");
  const name = ctx.params.get("LaunchTemplateName");
  if (!id && !name) {
    throw new Ec2Error(
      "MissingParameter",
      "The request must contain the parameter LaunchTemplateId or LaunchTemplateName",
    );
  }
  const template = ctx.launchTemplates.find({ id, name });
  const asked = listParam(ctx.params, "LaunchTemplateVersion");
  const versions = asked.length > 0 ? asked.map((v) => ctx.launchTemplates.resolve(template, v)) : template.versions;
  ctx.authorize(["*"]);
  return [
    itemList(
      "launchTemplateVersionSet",
      versions.map((version) => [
        el("launchTemplateId", template.launchTemplateId),
        el("launchTemplateName", template.launchTemplateName),
        el("versionNumber", version.versionNumber),
        el("defaultVersion", version.versionNumber === template.defaultVersion),
        el("launchTemplateData", [
          el("instanceType", version.instanceType),
          el(
            "cpuOptions",
            version.nestedVirtualization ? [el("nestedVirtualization", version.nestedVirtualization)] : undefined,
          ),
        ]),
      ]),
      "element",
    ),
  ];
};
