import type { Instance } from "@aws-sdk/client-ec2";
import { NestedVirtError } from "./errors";
import type { Ec2Gateway } from "./gateway";
import { decodeJournal, JOURNAL_TAG_KEY } from "./journal";

/**
 * A rollout group's bound across runs (two stacks, a Pulumi and a Terraform run, two CI jobs) has
 * EC2 itself as the shared record: an instance being cycled in a group carries the group's name
 * (so one filtered DescribeInstances finds every member being cycled in the region) and a slot
 * lease that its run renews while it holds the slot.
 */
export const GROUP_TAG_KEY = "nestedvirt:group";
export const SLOT_TAG_KEY = "nestedvirt:slot";

/** A slot lease: the run holding it and until when (renewed by that run while it lasts). */
export interface SlotLease {
  runToken: string;
  until: string;
}

export function encodeSlotLease(lease: SlotLease): string {
  return JSON.stringify({ run: lease.runToken, until: lease.until });
}

export function decodeSlotLease(value: string | undefined): SlotLease | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as { run?: unknown; until?: unknown };
    return typeof parsed.run === "string" && typeof parsed.until === "string"
      ? { runToken: parsed.run, until: parsed.until }
      : undefined;
  } catch {
    return undefined;
  }
}

/** How a member of the group looked in the filtered DescribeInstances. */
export interface GroupMember {
  instanceId: string;
  state: string;
  slot?: SlotLease;
  /** When the cycle claiming the member began (its journal's `startedAt`), if it carries a journal. */
  cycleStartedAt?: string;
}

export function groupMemberOf(instance: Instance): GroupMember {
  const slot = decodeSlotLease(instance.Tags?.find((t) => t.Key === SLOT_TAG_KEY)?.Value);
  const journalTag = instance.Tags?.find((t) => t.Key === JOURNAL_TAG_KEY)?.Value;
  const journal = journalTag === undefined ? undefined : decodeJournal(journalTag);
  const startedAt = journal && "journal" in journal ? journal.journal.startedAt : "";
  return {
    instanceId: instance.InstanceId ?? "",
    state: instance.State?.Name ?? "pending",
    ...(slot ? { slot } : {}),
    ...(startedAt ? { cycleStartedAt: startedAt } : {}),
  };
}

/**
 * The order in which running claims of a group take what room is left: by when their cycle began
 * (whole seconds), then by run, then by instance ID. Every run reads the same tags, so every run
 * agrees; a run's claims made together rank together, so when two runs claim at once one of them
 * gets the room whole and the other steps aside, instead of both going at half width. A cycle's
 * start never moves (lease renewals do not touch it), so an admitted claim keeps its place.
 * A claim without a journal (a member past its cycle, waiting for its status checks) ranks first.
 */
export function claimOrder(a: GroupMember, b: GroupMember): number {
  const keys = (m: GroupMember) => [m.cycleStartedAt ?? "", m.slot?.runToken ?? "", m.instanceId];
  const [ka, kb] = [keys(a), keys(b)];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
  return 0;
}

/**
 * Whether the member keeps a slot of its group: its run's slot lease is live, or it is between
 * states (someone is stopping or starting it). A member whose lease ran out while it sits
 * `running` or `stopped` is stale: its run is gone, and the next run on that instance finishes it.
 */
export function holdsSlot(member: GroupMember, now: number): boolean {
  if (member.state === "stopping" || member.state === "pending") return true;
  return member.slot !== undefined && Date.parse(member.slot.until) > now;
}

/**
 * Whether `instanceId` may go out of service now, from a read of the group taken after its own
 * claim was written and settled. Members already down (not `running`) count first; the running
 * members with a live claim take what is left in `claimOrder`, so runs that read the same claims
 * agree on who goes, and claims written together never all back off.
 */
export function admits(members: readonly GroupMember[], instanceId: string, maxUnavailable: number, now: number) {
  const others = members.filter((m) => m.instanceId !== instanceId && holdsSlot(m, now));
  const down = others.filter((m) => m.state !== "running");
  // A claim the read does not show yet takes its place after every claim it shows.
  const self = members.find((m) => m.instanceId === instanceId);
  const claimedBefore = others.filter((m) => m.state === "running" && (!self || claimOrder(m, self) < 0));
  return { admitted: down.length + claimedBefore.length < maxUnavailable, holders: others.map((m) => m.instanceId) };
}

/** Whether a member of the group could be admitted now: fewer than `maxUnavailable` hold a slot. */
export function hasRoom(
  members: readonly GroupMember[],
  maxUnavailable: number,
  now: number,
  except?: string,
): boolean {
  return members.filter((m) => m.instanceId !== except && holdsSlot(m, now)).length < maxUnavailable;
}

/** How long a slot lease lasts unless renewed; NESTEDVIRT_SLOT_LEASE_MS overrides it (at least 3 s). */
export const DEFAULT_SLOT_LEASE_MS = 60_000;

export function slotLeaseMsFromEnvironment(): number {
  const fromEnv = Number(process.env.NESTEDVIRT_SLOT_LEASE_MS);
  return Number.isFinite(fromEnv) && fromEnv >= 3000 ? fromEnv : DEFAULT_SLOT_LEASE_MS;
}

/**
 * The slots this process holds on one connection. While it holds any, it renews all their leases
 * together every third of a lease: one CreateTags for all of them, as they carry the same value. A
 * process that dies stops renewing, and its slots count for nobody once their lease runs out.
 */
export class SlotLeases {
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly gateway: Ec2Gateway,
    private readonly runToken: string,
    readonly leaseMs: number = slotLeaseMsFromEnvironment(),
  ) {}

  /** The slot tag's value for a claim made at `now` (whole seconds, so claims made together agree). */
  valueAt(now: number): string {
    const until = new Date(Math.ceil((now + this.leaseMs) / 1000) * 1000).toISOString();
    return encodeSlotLease({ runToken: this.runToken, until });
  }

  hold(instanceId: string): void {
    this.held.add(instanceId);
    this.timer ??= setInterval(() => void this.renew(), this.leaseMs / 3);
    this.timer.unref();
  }

  /** Stops renewing the instance's slot (its tags are removed by the cycle, or lapse). */
  release(instanceId: string): void {
    this.held.delete(instanceId);
    if (this.held.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async renew(): Promise<void> {
    const value = this.valueAt(Date.now());
    const ids = [...this.held];
    // A renewal that fails is tried again a third of a lease later, well before the lease runs out.
    await Promise.allSettled(ids.map((id) => this.gateway.createTag(id, SLOT_TAG_KEY, value)));
  }
}

/** Other runs hold the group's slots: this run took its claim back and waits for room. */
export class SlotBusyError extends Error {
  constructor(
    readonly instanceId: string,
    readonly group: string,
    readonly holders: readonly string[],
  ) {
    super(`rollout group "${group}" is full (held by ${holders.join(", ")})`);
  }
}

/** The group stayed full for longer than this run's stop timeout. */
export class SlotWaitTimeoutError extends NestedVirtError {
  constructor(instanceId: string, group: string, maxUnavailable: number, holders: readonly string[], seconds: number) {
    super(
      "SlotWaitTimeout",
      `Instance ${instanceId} was not stopped: rollout group "${group}" had ${holders.length} of its ${maxUnavailable} allowed instances out of service (${holders.join(", ")}) for longer than this run's stop timeout (${seconds}s). Other runs (stacks, workspaces, CI jobs) are cycling the group. Nothing was changed; run again once they are done, or raise timeouts.stop.`,
      instanceId,
    );
  }
}
