// Reconnect delays of the live stream: exponential with jitter, capped, so a restarted server
// is found again within seconds and many browsers do not reconnect in lockstep.

/** Delay growth of the stream's reconnects. */
export interface BackoffOptions {
  /** Delay of the first retry (default 500 ms). */
  baseMs: number;
  /** Longest delay (default 5000 ms). */
  maxMs: number;
  /** Spread around the delay, 0 to 1 (default 0.25: 75 % to 125 %). */
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  baseMs: 500,
  maxMs: 5000,
  jitter: 0.25,
});

/** Milliseconds to wait before retry number `attempt` (0 = first); `random` is in [0, 1). */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponential = options.baseMs * 2 ** Math.min(Math.max(0, attempt), 20);
  const capped = Math.min(options.maxMs, exponential);
  return Math.round(capped * (1 - options.jitter + 2 * options.jitter * random()));
}
