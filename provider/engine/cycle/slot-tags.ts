import { GROUP_TAG_KEY, SLOT_TAG_KEY } from "../group-slots";
import type { InstanceFacts } from "../types";
import type { CycleContext } from "./context";
import type { CycleRecord } from "./record";

/** The tags that count this instance in its group across runs; with `values`, only while they are still ours. */
export function slotTags(context: CycleContext, values: boolean): { Key: string; Value?: string }[] {
  const { group, shared } = context;
  if (!group) return [];
  return values && shared
    ? [
        { Key: GROUP_TAG_KEY, Value: group.name },
        { Key: SLOT_TAG_KEY, Value: shared.slotTag },
      ]
    : [{ Key: GROUP_TAG_KEY }, { Key: SLOT_TAG_KEY }];
}

/** Gives the group slot up across runs: no more renewals, and (unless the instance stays down) no more tags. */
export async function releaseSharedSlot(context: CycleContext, record: CycleRecord, untag: boolean): Promise<void> {
  context.shared?.leases.release(context.id);
  if (!record.slotTagged || !untag) return;
  record.append({ kind: "slot-tags", on: false });
  await context.gateway.deleteTags(context.id, slotTags(context, false)).catch(() => undefined);
}

/** Group and slot tags an interrupted cycle left on the instance: cleared with its journal. */
export function staleSlotTags(facts: InstanceFacts): { Key: string }[] {
  return [GROUP_TAG_KEY, SLOT_TAG_KEY].filter((key) => facts.tags[key] !== undefined).map((Key) => ({ Key }));
}
