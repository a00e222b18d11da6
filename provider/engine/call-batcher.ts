import { closesAt } from "./batcher";

/**
 * Gathers calls of one kind (StopInstances, CreateTags with one tag…) made for different instances
 * within a short window into one request over all of them — EC2 takes lists of up to 1000. When
 * such a request fails, each instance is tried alone, so each error lands on its own instance.
 */
export class InstanceCallBatcher {
  private readonly groups = new Map<string, Group>();

  /**
   * A batch goes out once no call has joined it for `windowMs`, or `maxWaitMs` after its first call:
   * calls that arrive one by one (a front end's requests) still gather. `readyAt(operation)` says
   * when the operation may send next; while it is being paced (EC2 is throttling it) the batch keeps
   * gathering until then, so a slow bucket serves more instances.
   */
  constructor(
    private readonly windowMs: number,
    private readonly maxInstances: number,
    private readonly readyAt: (operation: string) => number = () => 0,
    private readonly maxWaitMs = windowMs,
  ) {}

  /**
   * Runs `send` for this instance, together with the other calls of `groupKey` in the window.
   * `veto`, asked when the batch goes out, may withdraw the call with an error instead (the cycle
   * was told to stop, or its rollout group halted, while the batch gathered).
   */
  call(
    groupKey: string,
    operation: string,
    instanceId: string,
    send: (instanceIds: string[]) => Promise<void>,
    veto?: () => Error | undefined,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      let group = this.groups.get(groupKey);
      if (!group) {
        group = { send, callers: new Map(), firstAt: Date.now() };
        this.groups.set(groupKey, group);
      }
      const callers = group.callers.get(instanceId) ?? [];
      callers.push({ resolve, reject, veto });
      group.callers.set(instanceId, callers);
      this.closeWhenQuiet(groupKey, group, operation);
    });
  }

  private closeWhenQuiet(groupKey: string, group: Group, operation: string): void {
    const now = Date.now();
    const at = closesAt(group.firstAt, now, this.windowMs, this.maxWaitMs);
    clearTimeout(group.timer);
    group.timer = setTimeout(() => this.close(groupKey, group, operation), Math.max(0, at - now));
  }

  private close(groupKey: string, group: Group, operation: string): void {
    const wait = this.readyAt(operation) - Date.now();
    if (wait > this.windowMs && group.callers.size < this.maxInstances) {
      group.timer = setTimeout(() => this.close(groupKey, group, operation), wait);
      return;
    }
    if (this.groups.get(groupKey) === group) this.groups.delete(groupKey);
    void flush(group, this.maxInstances);
  }
}

interface Caller {
  resolve: () => void;
  reject: (error: unknown) => void;
  veto?: () => Error | undefined;
}

interface Group {
  send: (instanceIds: string[]) => Promise<void>;
  callers: Map<string, Caller[]>;
  firstAt: number;
  timer?: NodeJS.Timeout;
}

async function flush(group: Group, maxInstances: number): Promise<void> {
  for (const [id, callers] of group.callers) {
    const withdrawn = callers.map((caller) => [caller, caller.veto?.()] as const).filter(([, error]) => error);
    for (const [caller, error] of withdrawn) caller.reject(error);
    const kept = callers.filter((caller) => !withdrawn.some(([w]) => w === caller));
    if (kept.length > 0) group.callers.set(id, kept);
    else group.callers.delete(id);
  }
  const ids = [...group.callers.keys()];
  if (ids.length === 0) return;
  const settle = (id: string, error?: unknown) => {
    for (const caller of group.callers.get(id) ?? []) {
      if (error === undefined) caller.resolve();
      else caller.reject(error);
    }
  };
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += maxInstances) chunks.push(ids.slice(i, i + maxInstances));
  await Promise.all(
    chunks.map(async (chunk) => {
      try {
        await group.send(chunk);
        for (const id of chunk) settle(id);
      } catch (error) {
        if (chunk.length === 1) {
          settle(chunk[0] ?? "", error);
          return;
        }
        await Promise.all(
          chunk.map((id) =>
            group.send([id]).then(
              () => settle(id),
              (single: unknown) => settle(id, single),
            ),
          ),
        );
      }
    }),
  );
}
