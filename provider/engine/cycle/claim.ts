import { admits, GROUP_TAG_KEY, groupMemberOf, SLOT_TAG_KEY, SlotBusyError } from "../group-slots";
import { encodeJournal, JOURNAL_TAG_KEY } from "../journal";
import { journalTagOf } from "../lease";
import { sleep } from "../waiters";
import type { CycleContext } from "./context";
import type { CycleRecord } from "./record";
import { slotTags } from "./slot-tags";
import { claimSettleFor, FRESH_FACTS_MS } from "./timing";

/**
 * Another run's journal appeared on the instance while this run claimed it (EC2 keeps the last
 * tag written). Nothing was stopped; the engine plans again from fresh facts.
 */
export class ClaimLostError extends Error {
  constructor(readonly instanceId: string) {
    super(`another run claimed ${instanceId} first`);
  }
}

/**
 * Write-then-read-back: the last writer wins in EC2, so only the run still named after the settle
 * stops the instance. A competitor whose write landed only after our read-back (a stalled
 * process) has overwritten our journal; then its read-back finds the instance already stopping,
 * and it finishes the cycle without a stop of its own (`stopped-by-other`).
 */
export async function claim(context: CycleContext, record: CycleRecord): Promise<void> {
  const { gateway, facts, id, group, shared, ourTag, options } = context;
  // Facts read moments ago stand in for a fresh look: nobody can have finished a claim since.
  const fresh = facts.readAt !== undefined && Date.now() - facts.readAt < FRESH_FACTS_MS;
  if (!fresh && (await gateway.tagValue(id, JOURNAL_TAG_KEY)) !== record.heldTag) throw new ClaimLostError(id);
  const sentAt = Date.now();
  const tags: Record<string, string> = { [JOURNAL_TAG_KEY]: ourTag };
  if (group && shared) Object.assign(tags, { [GROUP_TAG_KEY]: group.name, [SLOT_TAG_KEY]: shared.slotTag });
  await gateway.createTags(id, tags);
  record.append({ kind: "journal", tag: ourTag });
  if (shared) {
    record.append({ kind: "slot-tags", on: true });
    shared.leases.hold(id);
  }
  await sleep(options.claimSettleMs ?? claimSettleFor(Date.now() - sentAt), options.signal);
  // In a shared group the read-back is the group's read: one call tells whether the claim held and who else is down.
  const members = group && shared ? await gateway.groupMembers(GROUP_TAG_KEY, group.name) : undefined;
  const after = members?.find((m) => m.InstanceId === id) ?? (await gateway.describeInstance(id));
  if (journalTagOf(after) !== ourTag) await withdrawLostClaim(context, record);
  if (members && group) {
    const verdict = admits(members.map(groupMemberOf), id, group.maxUnavailable, Date.now());
    if (!verdict.admitted) {
      // Other runs hold the group's slots: take the claim back whole, so nobody waits for this one.
      await gateway.deleteTags(id, [{ Key: JOURNAL_TAG_KEY, Value: ourTag }, ...slotTags(context, true)]);
      record.append({ kind: "journal", tag: undefined });
      record.append({ kind: "slot-tags", on: false });
      shared?.leases.release(id);
      throw new SlotBusyError(id, group.name, verdict.holders);
    }
  }
  const state = after?.State?.Name;
  if (facts.state === "running" && (state === "stopping" || state === "stopped")) {
    record.append({ kind: "stopped-by-other" });
  }
}

/** Another run's journal replaced ours: our slot lease would count for nobody, so take it off. */
async function withdrawLostClaim(context: CycleContext, record: CycleRecord): Promise<never> {
  const { gateway, id, shared } = context;
  record.append({ kind: "journal", tag: undefined });
  shared?.leases.release(id);
  if (record.slotTagged) {
    await gateway.deleteTags(id, [{ Key: SLOT_TAG_KEY, Value: shared?.slotTag }]).catch(() => undefined);
  }
  record.append({ kind: "slot-tags", on: false });
  throw new ClaimLostError(id);
}

/**
 * A run that ends with its journal still on the instance keeps the journal (the next run finishes
 * the cycle from it) but gives up its lease, so that run need not wait for this one's stall allowance.
 */
export async function releaseLease(context: CycleContext, record: CycleRecord): Promise<void> {
  if (!record.holdsOurJournal) return;
  const released = encodeJournal({ ...context.journal, leaseUntil: new Date().toISOString() });
  await context.gateway.createTag(context.id, JOURNAL_TAG_KEY, released).catch(() => undefined);
  record.append({ kind: "journal", tag: released });
}
