/**
 * Gathers calls of one kind (StopInstances, CreateTags with one tag…) made for different instances
 * within a short window into one request over all of them — EC2 takes lists of up to 1000. When
 * such a request fails, each instance is tried alone, so each error lands on its own instance.
 */
export class InstanceCallBatcher {
  private readonly groups = new Map<string, Group>();

  /**
   * `readyAt(operation)` says when the operation may send next; while it is being paced (EC2 is
   * throttling it) the batch keeps gathering until then, so a slow bucket serves more instances.
   */
  constructor(
    private readonly windowMs: number,
    private readonly maxInstances: number,
    private readonly readyAt: (operation: string) => number = () => 0,
  ) {}

  /** Runs `send` for this instance, together with the other calls of `groupKey` in the window. */
  call(
    groupKey: string,
    operation: string,
    instanceId: string,
    send: (instanceIds: string[]) => Promise<void>,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      let group = this.groups.get(groupKey);
      if (!group) {
        const created: Group = { send, callers: new Map() };
        const close = () => {
          const wait = this.readyAt(operation) - Date.now();
          if (wait > this.windowMs && created.callers.size < this.maxInstances) {
            setTimeout(close, wait);
            return;
          }
          this.groups.delete(groupKey);
          void flush(created, this.maxInstances);
        };
        setTimeout(close, this.windowMs);
        this.groups.set(groupKey, created);
        group = created;
      }
      const callers = group.callers.get(instanceId) ?? [];
      callers.push({ resolve, reject });
      group.callers.set(instanceId, callers);
    });
  }
}

interface Caller {
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Group {
  send: (instanceIds: string[]) => Promise<void>;
  callers: Map<string, Caller[]>;
}

async function flush(group: Group, maxInstances: number): Promise<void> {
  const ids = [...group.callers.keys()];
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
