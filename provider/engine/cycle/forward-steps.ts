import { waitInstanceStatusOk } from "../health-gate";
import { JOURNAL_TAG_KEY } from "../journal";
import type { StandbyCycle } from "../standby";
import { liftStopProtection, restoreStopProtection } from "../stop-protection";
import type { StepKind } from "../types";
import { waitInstanceRunning, waitInstanceStopped } from "../waiters";
import { claim } from "./claim";
import type { CycleContext } from "./context";
import type { CycleRecord } from "./record";
import { releaseSharedSlot, slotTags, staleSlotTags } from "./slot-tags";
import { stop } from "./stop";
import { DOWNTIME_RETRY_WINDOW_MS } from "./timing";

/** What one kind of plan step does; it appends what it did to the record. */
export type ForwardStep = (context: CycleContext, record: CycleRecord) => Promise<void>;

/** Every step a plan may hold, by kind: the plan orders them, the runner runs them. */
export const FORWARD_STEPS: Record<StepKind, ForwardStep> = {
  "acquire-slot": async (context, record) => {
    const slot = await context.group?.acquire(context.id, context.options.signal);
    record.append({ kind: "rollout-slot", slot });
  },
  "write-journal": claim,
  "enter-standby": (context) => standby(context).enter(),
  "wait-standby": (context) => standby(context).waitStandby(),
  "lift-stop-protection": (context) => liftStopProtection(context.gateway, context.id),
  stop,
  "wait-stopped": async (context, record) => {
    // Before our own stop this waits for someone else's (abortable); after it, it is part of the cycle.
    const { stopWait, beforeStop } = context;
    await waitInstanceStopped(
      context.gateway,
      context.id,
      record.stopRequested ? stopWait : { ...stopWait, ...beforeStop },
    );
    record.append({ kind: "stopped", at: Date.now() });
  },
  modify: async (context, record) => {
    // An instance this cycle will start again is down now: its retries are downtime, so bounded.
    const window = context.kinds.includes("start") ? DOWNTIME_RETRY_WINDOW_MS : undefined;
    await context.gateway.modifyNestedVirtualization(context.id, context.plan.desiredSetting, false, window);
    record.append({ kind: "modified", at: Date.now() });
  },
  start: async (context, record) => {
    await context.starter.start();
    record.append({ kind: "start-sent" });
  },
  "wait-running": waitRunning,
  "restore-stop-protection": (context) => restoreStopProtection(context.gateway, context.id),
  "wait-healthy": async (context, record) => {
    const { options } = context;
    await waitInstanceStatusOk(context.gateway, context.id, {
      timeoutSeconds: options.healthyTimeoutSeconds,
      pollIntervalMs: options.pollIntervalMs,
      signal: options.signal,
    });
    record.append({ kind: "healthy", at: Date.now() });
    if (!context.kinds.includes("verify-guest")) await releaseSharedSlot(context, record, true);
  },
  "verify-guest": async (context, record) => {
    if (!context.options.verifyGuest) {
      throw new Error("the plan checks the guest, but the engine gave the cycle no check");
    }
    await context.options.verifyGuest();
    record.append({ kind: "guest-verified", at: Date.now() });
    await releaseSharedSlot(context, record, true);
  },
  "exit-standby": (context) => standby(context).exit(),
  "wait-in-service": (context) => standby(context).waitInService(),
  "clear-journal": clearJournal,
};

async function waitRunning(context: CycleContext, record: CycleRecord): Promise<void> {
  const { gateway, id, facts, startWait, beforeStop } = context;
  const before = !record.stopRequested && !record.startRequested && facts.state === "pending";
  const instance = record.startRequested
    ? await context.starter.waitRunning()
    : await waitInstanceRunning(gateway, id, before ? { ...startWait, ...beforeStop } : startWait);
  record.append({ kind: "running", at: context.kinds.includes("start") ? Date.now() : undefined, instance });
}

async function clearJournal(context: CycleContext, record: CycleRecord): Promise<void> {
  // Out of the group's count with the journal, unless the status checks still have to pass.
  const leaving = record.slotTagged ? (context.gated ? [] : slotTags(context, false)) : staleSlotTags(context.facts);
  const held = record.heldTag;
  const journalTag = held !== undefined ? [{ Key: JOURNAL_TAG_KEY, Value: held }] : [];
  if (journalTag.length + leaving.length > 0) await context.gateway.deleteTags(context.id, [...journalTag, ...leaving]);
  if (leaving.length > 0 && record.slotTagged) {
    record.append({ kind: "slot-tags", on: false });
    context.shared?.leases.release(context.id);
  }
  record.append({ kind: "journal", tag: undefined });
}

function standby(context: CycleContext): StandbyCycle {
  if (!context.options.standby) {
    throw new Error(`plan for ${context.id} has standby steps but the cycle has no Auto Scaling access`);
  }
  return context.options.standby;
}
