import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from "@smithy/types";
import {
  DefaultRateLimiter,
  DEFAULT_RETRY_DELAY_BASE,
  MAXIMUM_RETRY_DELAY,
  THROTTLING_RETRY_DELAY_BASE,
} from "@smithy/util-retry";

/**
 * The SDK's adaptive retry behaviour (its client-side rate limiter, its backoff bases) without its
 * client-wide retry quota. The stock strategies stop retrying for every call of a client once the
 * quota is spent; across a fleet that turns one throttling storm into hundreds of half-finished
 * cycles. Here a call is retried until its own attempts run out, while the shared rate limiter
 * slows the whole fleet down. The SDK's retry middleware still does the retrying.
 */
export class FleetRetryStrategy implements RetryStrategyV2 {
  readonly mode = "adaptive";
  private readonly rateLimiter = new DefaultRateLimiter();

  constructor(private readonly maxAttempts: number) {}

  async acquireInitialRetryToken(): Promise<StandardRetryToken> {
    await this.rateLimiter.getSendToken();
    return retryToken(0, 0);
  }

  async refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo): Promise<StandardRetryToken> {
    this.rateLimiter.updateClientSendingRate(errorInfo);
    const retries = token.getRetryCount() + 1;
    const retryable =
      errorInfo.errorType === "THROTTLING" ||
      errorInfo.errorType === "TRANSIENT" ||
      errorInfo.errorType === "SERVER_ERROR";
    if (!retryable || retries >= this.maxAttempts) throw new Error("No retry token available");
    const base = errorInfo.errorType === "THROTTLING" ? THROTTLING_RETRY_DELAY_BASE : DEFAULT_RETRY_DELAY_BASE;
    // Full jitter: spreads a fleet's retries instead of synchronising them.
    const delay = Math.floor(Math.random() * Math.min(MAXIMUM_RETRY_DELAY, base * 2 ** token.getRetryCount()));
    await new Promise((resolve) => setTimeout(resolve, delay));
    await this.rateLimiter.getSendToken();
    return retryToken(retries, 0);
  }

  recordSuccess(): void {
    // An empty response is how the SDK's own adaptive strategy reports a success to the limiter.
    this.rateLimiter.updateClientSendingRate({});
  }
}

function retryToken(count: number, delay: number): StandardRetryToken {
  return { getRetryCount: () => count, getRetryDelay: () => delay, getRetryCost: () => undefined };
}
