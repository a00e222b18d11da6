import { type DesiredState, EC2_ACTIONS, type Inspection, type MutatingAction, PERMISSION_TTL_MS } from "../engine";

/**
 * An inspection made moments ago outside the service: the plan's blockers and the actions EC2 let
 * the caller make (DryRun). The Pulumi program makes one before registering a resource and sends
 * it in a hidden input (provider/pulumi/properties.ts, PREFLIGHT_PROPERTY).
 *
 * Why: Pulumi's engine calls the provider's `check` for one resource at a time, so EC2 calls made
 * there go out one resource at a time too. The program constructs all its resources at once, so its
 * lookups and DryRuns go out in a few batched calls; `check` then needs no EC2 call, the resources'
 * `create` calls reach the provider together, and their cycles batch as well.
 */
export interface PreflightRecord {
  instanceId: string;
  nestedVirtualization: DesiredState["nestedVirtualization"];
  /** The Auto Scaling choice the blockers were found for. */
  autoScaling?: DesiredState["autoScaling"];
  /** Whether the program asked about the in-guest check's agent too (absent: it did not). */
  verifyInGuest?: boolean;
  /** ISO time of the DryRuns. */
  checkedAt: string;
  permitted: MutatingAction[];
  blockers: { attribute?: string; message: string }[];
}

export function preflightRecord(desired: DesiredState, inspection: Inspection): PreflightRecord {
  return {
    instanceId: desired.instanceId,
    nestedVirtualization: desired.nestedVirtualization,
    autoScaling: desired.autoScaling,
    ...(desired.verifyInGuest ? { verifyInGuest: true } : {}),
    checkedAt: new Date(inspection.permitted?.checkedAt ?? Date.now()).toISOString(),
    permitted: [...(inspection.permitted?.actions ?? [])],
    blockers: inspection.plan.blockers.map((b) => ({
      ...(b.attribute ? { attribute: b.attribute } : {}),
      message: b.message,
    })),
  };
}

const isAction = (value: unknown): value is MutatingAction =>
  (EC2_ACTIONS.change as readonly unknown[]).includes(value);

/**
 * The record in `value` when it is about this instance and setting and recent enough to stand for
 * this operation's preflight; otherwise undefined, and the provider looks at EC2 itself.
 */
export function currentPreflight(value: unknown, desired: DesiredState, now = Date.now()): PreflightRecord | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Partial<PreflightRecord>;
  const checkedAt = typeof record.checkedAt === "string" ? Date.parse(record.checkedAt) : Number.NaN;
  const fresh = Number.isFinite(checkedAt) && checkedAt <= now + 60_000 && now - checkedAt < PERMISSION_TTL_MS;
  if (!fresh || record.instanceId !== desired.instanceId) return undefined;
  if (record.nestedVirtualization !== desired.nestedVirtualization) return undefined;
  if (record.autoScaling !== undefined && record.autoScaling !== desired.autoScaling) return undefined;
  // A preflight that did not look for the SSM agent cannot stand for one that must.
  if ((record.verifyInGuest === true) !== desired.verifyInGuest) return undefined;
  if (!Array.isArray(record.permitted) || !record.permitted.every(isAction)) return undefined;
  if (!Array.isArray(record.blockers) || !record.blockers.every((b) => typeof b?.message === "string"))
    return undefined;
  return record as PreflightRecord;
}
