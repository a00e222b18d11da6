import { NestedVirtError } from "./errors";
import type { NestedVirtSetting } from "./types";

interface Holder {
  target: NestedVirtSetting;
  done: Promise<unknown>;
}

/**
 * One cycle at a time per instance within a Session. Applies of one session share one run token
 * (so their journals can be written in one call), so they cannot tell each other apart by their
 * journals: here a second apply of the same setting waits for the first, and one of the opposite
 * setting fails at once, as it would against another run's lease.
 */
export class InstanceLocks {
  private readonly holders = new Map<string, Holder>();

  /** Runs `work` once no other apply of this process works on the instance; `waited` says if one did. */
  async exclusive<T>(instanceId: string, target: NestedVirtSetting, work: (waited: boolean) => Promise<T>): Promise<T> {
    let waited = false;
    for (let holder = this.holders.get(instanceId); holder; holder = this.holders.get(instanceId)) {
      if (holder.target !== target) throw new ConflictingApplyError(instanceId, holder.target, target);
      waited = true;
      await holder.done.catch(() => undefined);
    }
    const done = work(waited);
    this.holders.set(instanceId, { target, done });
    try {
      return await done;
    } finally {
      if (this.holders.get(instanceId)?.done === done) this.holders.delete(instanceId);
    }
  }
}

/** Two resources of one run set the same instance to opposite settings. */
export class ConflictingApplyError extends NestedVirtError {
  constructor(instanceId: string, held: NestedVirtSetting, wanted: NestedVirtSetting) {
    super(
      "ConflictingApply",
      `Instance ${instanceId} is being set to NestedVirtualization=${held} by another resource of this run, which conflicts with "${wanted}". Nothing was changed by this one. Each instance must be managed by exactly one resource: remove one of them.`,
      instanceId,
    );
  }
}
