import { Batcher, type BatchOptions, GATHERED, type Veto } from "../batcher";
import type { FleetRetryStrategy } from "../retry";
import type { Ec2Calls, TagSpec } from "./calls";
import { MAX_IDS_PER_CALL } from "./limits";

/** The batched operations, named as the retry strategy paces them. */
type BatchedOperation = "StopInstances" | "StartInstances" | "CreateTags" | "DeleteTags";

/**
 * EC2 changes that take lists of instances, batched: calls of one kind and arguments (StopInstances,
 * CreateTags of one tag and value…) for different instances within a short window go out as one
 * request over all of them. When such a request fails, each instance is tried alone, so each error
 * lands on its own instance. While EC2 throttles an operation the batch keeps gathering until it
 * may send (see BatchOptions.readyAt).
 */
export class Ec2Changes {
  private readonly stops: Batcher<string, never>;
  private readonly starts: Batcher<string, never>;
  private readonly tagsAdded: Batcher<string, never>;
  private readonly tagsRemoved: Batcher<string, never>;

  constructor(
    private readonly calls: Ec2Calls,
    retries?: FleetRetryStrategy,
  ) {
    const paced = (operation: BatchedOperation): BatchOptions => ({
      maxBatch: MAX_IDS_PER_CALL,
      ...GATHERED,
      readyAt: () => (retries ? retries.nextSendAt(operation) : 0),
      splitOnFailure: true,
    });
    this.stops = new Batcher(paced("StopInstances"));
    this.starts = new Batcher(paced("StartInstances"));
    this.tagsAdded = new Batcher(paced("CreateTags"));
    this.tagsRemoved = new Batcher(paced("DeleteTags"));
  }

  /** StopInstances; `veto`, asked as the batch goes out, may withdraw this instance's stop with its error. */
  async stop(instanceId: string, dryRun: boolean, veto?: Veto): Promise<void> {
    await this.stops.load(
      instanceId,
      changed((ids) => this.calls.stopInstances(ids, dryRun)),
      `${dryRun}`,
      veto,
    );
  }

  /** StartInstances; `retryWindowMs` as for Ec2Calls. */
  async start(instanceId: string, dryRun: boolean, retryWindowMs?: number): Promise<void> {
    const send = changed((ids) => this.calls.startInstances(ids, dryRun, retryWindowMs));
    await this.starts.load(instanceId, send, `${dryRun} ${retryWindowMs ?? ""}`);
  }

  async createTags(instanceId: string, tags: readonly TagSpec[], dryRun: boolean): Promise<void> {
    const send = changed((ids) => this.calls.createTags(ids, tags, dryRun));
    await this.tagsAdded.load(instanceId, send, JSON.stringify([tags, dryRun]));
  }

  async deleteTags(instanceId: string, tags: readonly TagSpec[], dryRun: boolean): Promise<void> {
    const send = changed((ids) => this.calls.deleteTags(ids, tags, dryRun));
    await this.tagsRemoved.load(instanceId, send, JSON.stringify([tags, dryRun]));
  }
}

/** A change as a batch loader: it answers nothing per instance, only success or an error. */
function changed(
  call: (instanceIds: string[]) => Promise<void>,
): (instanceIds: string[]) => Promise<Map<string, never>> {
  return async (instanceIds) => {
    await call(instanceIds);
    return new Map<string, never>();
  };
}
