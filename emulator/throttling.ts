// EC2's documented request throttling, per account and region: a token bucket per API action
// (request rate limiting) and, for StartInstances/StopInstances, a second bucket holding one token per
// instance (resource rate limiting). A request that finds either bucket short is refused with
// RequestLimitExceeded and does not affect other actions' buckets.
//
// Numbers from the AWS documentation page "Request throttling for the Amazon EC2 API"
// (docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html), tables "Request token bucket
// sizes and refill rates" and "Resource token bucket sizes and refill rates":
//   Non-mutating actions (Describe*, List*, Search*, Get*)           capacity 100, refill 20/s
//   Unfiltered and unpaginated non-mutating actions                  capacity  50, refill 10/s
//     (DescribeInstances, DescribeInstanceStatus, … without a filter or pagination)
//   Mutating actions (StopInstances, ModifyInstanceCpuOptions, …)    capacity  50, refill  5/s
//   Uncategorized: CreateTags, DeleteTags                            capacity 100, refill 10/s
//   Uncategorized: StartInstances                                    capacity   5, refill  2/s
//   Resource tokens (instances): StartInstances                      capacity 1000, refill  2/s
//   Resource tokens (instances): StopInstances                       capacity 1000, refill 20/s
// "Limits are applied to individual API actions, not API action categories": each action has its
// own bucket sized by its category. The page does not say whether DryRun requests use request
// tokens; this model charges them (the cautious reading). DryRun requests take no resource tokens.

import { filtersParam, listParam, type QueryParams } from "./query";

export interface BucketSize {
  capacity: number;
  refillPerSecond: number;
}

const NON_MUTATING: BucketSize = { capacity: 100, refillPerSecond: 20 };
const UNFILTERED_NON_MUTATING: BucketSize = { capacity: 50, refillPerSecond: 10 };
const MUTATING: BucketSize = { capacity: 50, refillPerSecond: 5 };

const UNFILTERED_CATEGORY = new Set([
  "DescribeInstances",
  "DescribeInstanceStatus",
  "DescribeNetworkInterfaces",
  "DescribeSecurityGroups",
  "DescribeSnapshots",
  "DescribeSpotInstanceRequests",
  "DescribeVolumes",
]);

const UNCATEGORIZED: Readonly<Record<string, BucketSize>> = {
  CreateTags: { capacity: 100, refillPerSecond: 10 },
  DeleteTags: { capacity: 100, refillPerSecond: 10 },
  StartInstances: { capacity: 5, refillPerSecond: 2 },
};

export const RESOURCE_BUCKETS: Readonly<Record<string, BucketSize>> = {
  StartInstances: { capacity: 1000, refillPerSecond: 2 },
  StopInstances: { capacity: 1000, refillPerSecond: 20 },
};

/** The documented request bucket of one call (the unfiltered bucket only without filter and pagination). */
export function requestBucketOf(action: string, params: QueryParams): { key: string; size: BucketSize } {
  const uncategorized = UNCATEGORIZED[action];
  if (uncategorized) return { key: action, size: uncategorized };
  if (!/^(Describe|List|Search|Get)/.test(action)) return { key: action, size: MUTATING };
  const paginated = params.has("MaxResults") || params.has("NextToken");
  if (UNFILTERED_CATEGORY.has(action) && !paginated && filtersParam(params).length === 0) {
    return { key: `${action} (unfiltered)`, size: UNFILTERED_NON_MUTATING };
  }
  return { key: action, size: NON_MUTATING };
}

export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly size: BucketSize,
    now: number,
  ) {
    this.tokens = size.capacity;
    this.refilledAt = now;
  }

  take(count: number, now: number): boolean {
    this.tokens = Math.min(
      this.size.capacity,
      this.tokens + ((now - this.refilledAt) / 1000) * this.size.refillPerSecond,
    );
    this.refilledAt = now;
    if (this.tokens < count) return false;
    this.tokens -= count;
    return true;
  }
}

/** The buckets of one account and region, created full on first use. */
export class Ec2Throttling {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly now: () => number) {}

  /** Charges the call's tokens; false when EC2 would answer RequestLimitExceeded. */
  admit(action: string, params: QueryParams, dryRun: boolean): boolean {
    const now = this.now();
    const request = requestBucketOf(action, params);
    if (!this.bucket(request.key, request.size, now).take(1, now)) return false;
    const resource = RESOURCE_BUCKETS[action];
    if (!resource || dryRun) return true;
    const instances = listParam(params, "InstanceId").length;
    return this.bucket(`${action} (instances)`, resource, now).take(instances, now);
  }

  private bucket(key: string, size: BucketSize, now: number): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(size, now);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
