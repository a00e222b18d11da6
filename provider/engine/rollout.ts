import { NestedVirtError } from "./errors";

/**
 * Resources naming the same group, within one run (one `pulumi up`, one `terraform apply`), never
 * have more than `maxUnavailable` instances out of service at once.
 */
export interface RolloutSettings {
  group: string;
  maxUnavailable: number;
  /** The run's groups, where this one is counted (the Session's, see session.ts). */
  groups: RolloutGroups;
}

/** The rollout settings a desired state declares, if it names a group, counted among `groups`. */
export function rolloutOf(
  desired: { rolloutGroup?: string; maxUnavailable: number },
  groups: RolloutGroups,
): RolloutSettings | undefined {
  return desired.rolloutGroup
    ? { group: desired.rolloutGroup, maxUnavailable: desired.maxUnavailable, groups }
    : undefined;
}

/** A cycle was not started because another cycle of its rollout group failed first. */
export class RolloutHaltedError extends NestedVirtError {
  constructor(
    instanceId: string,
    readonly group: string,
    readonly failedInstanceId: string,
    reason: string,
  ) {
    super(
      "RolloutHalted",
      `Instance ${instanceId} was not stopped: rollout group "${group}" halted because the cycle of ${failedInstanceId} failed (${reason}). Fix that instance, then run the update again to continue the rollout.`,
      instanceId,
    );
  }
}

/** Permission to have one instance out of service; `release` gives it back (idempotent). */
export interface RolloutSlot {
  readonly waitedSeconds: number;
  release(): void;
}

interface Waiter {
  grant: () => void;
  refuse: (error: Error) => void;
}

/**
 * The members of one rollout group in this run. At most `maxUnavailable` slots are out at
 * once; waiting cycles get them first come, first served. After a failure no slot is granted
 * again: every waiting and later cycle fails at once, before touching its instance.
 */
export class RolloutGroup {
  private active = 0;
  private readonly queue: Waiter[] = [];
  private failure: { instanceId: string; reason: string } | undefined;

  constructor(
    readonly name: string,
    readonly maxUnavailable: number,
  ) {}

  get outOfService(): number {
    return this.active;
  }

  async acquire(instanceId: string, signal?: AbortSignal): Promise<RolloutSlot> {
    const began = Date.now();
    this.throwIfHalted(instanceId);
    if (this.active < this.maxUnavailable) {
      this.active += 1;
    } else {
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          grant: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
          refuse: (error) => {
            signal?.removeEventListener("abort", onAbort);
            reject(error);
          },
        };
        const onAbort = () => {
          this.queue.splice(this.queue.indexOf(waiter), 1);
          reject(signal?.reason ?? new Error("aborted"));
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener("abort", onAbort, { once: true });
        this.queue.push(waiter);
      }).catch((error: unknown) => {
        if (error === HALTED) this.throwIfHalted(instanceId);
        throw error;
      });
    }
    let released = false;
    return {
      waitedSeconds: Math.round(Date.now() - began) / 1000,
      release: () => {
        if (released) return;
        released = true;
        this.active -= 1;
        this.grantNext();
      },
    };
  }

  /** Stops the rollout: queued cycles fail now, naming the instance whose cycle failed. */
  halt(failedInstanceId: string, reason: string): void {
    this.failure ??= { instanceId: failedInstanceId, reason };
    for (const waiter of this.queue.splice(0)) waiter.refuse(HALTED);
  }

  private grantNext(): void {
    if (this.failure || this.active >= this.maxUnavailable) return;
    const next = this.queue.shift();
    if (!next) return;
    this.active += 1;
    next.grant();
  }

  /** Throws RolloutHaltedError once a cycle of the group has failed (checked again right before a stop). */
  throwIfHalted(instanceId: string): void {
    if (this.failure) {
      throw new RolloutHaltedError(instanceId, this.name, this.failure.instanceId, this.failure.reason);
    }
  }
}

const HALTED = new Error("rollout halted");

/** Members of one rollout group declared different maxUnavailable values. */
export class RolloutMismatchError extends NestedVirtError {
  constructor(instanceId: string, group: string, declared: number, others: number) {
    super(
      "RolloutMismatch",
      `Instance ${instanceId} declares maxUnavailable=${declared} for rollout group "${group}", whose other members declare ${others}. Give every member of a group the same maxUnavailable.`,
      instanceId,
    );
  }
}

/**
 * The rollout groups of one run, by name. A Session holds them: every resource of the run that
 * names a group shares its slots.
 */
export class RolloutGroups {
  private readonly byName = new Map<string, RolloutGroup>();

  /** The named group, made on first use; every member must declare the same `maxUnavailable`. */
  groupFor(settings: Pick<RolloutSettings, "group" | "maxUnavailable">, instanceId: string): RolloutGroup {
    const existing = this.byName.get(settings.group);
    if (!existing) {
      const group = new RolloutGroup(settings.group, settings.maxUnavailable);
      this.byName.set(settings.group, group);
      return group;
    }
    if (existing.maxUnavailable !== settings.maxUnavailable) {
      throw new RolloutMismatchError(instanceId, settings.group, settings.maxUnavailable, existing.maxUnavailable);
    }
    return existing;
  }
}

/** The group of these settings, among the groups they are counted in. */
export function rolloutGroupFor(settings: RolloutSettings, instanceId: string): RolloutGroup {
  return settings.groups.groupFor(settings, instanceId);
}
