import type { InstanceTypeCatalogue } from "../catalogue";
import type { InstanceStore } from "../instances";
import type { LaunchTemplateStore } from "../launch-templates";
import type { QueryParams } from "../query";
import type { XmlElement } from "../xml";

export interface ActionContext {
  readonly action: string;
  readonly params: QueryParams;
  readonly dryRun: boolean;
  readonly store: InstanceStore;
  readonly catalogue: InstanceTypeCatalogue;
  readonly launchTemplates: LaunchTemplateStore;
  readonly region: string;
  /**
   * The IAM + DryRun gate. Handlers call it after validating input and resolving
   * resources: it throws UnauthorizedOperation when the action is denied, else
   * DryRunOperation when DryRun is set, else returns so the action proceeds.
   */
  authorize(resourceArns: readonly string[]): void;
}

/** Returns the response children that follow <requestId>. */
export type ActionHandler = (context: ActionContext) => XmlElement[];
