// The stream's work budget: how much of the server's time snapshots may take, and what each
// one costs, so that no set of subscriptions can starve the API (or the capture).
//
// Time is a bucket: it fills at SHARE of wall time up to one tick's worth, and each snapshot
// drains what it took. A snapshot starts only while the bucket holds enough for its running
// cost estimate (or, when it alone is bigger than a full bucket, only from a full bucket), so
// over any stretch snapshots take at most SHARE of the time, and one tick's work is at most a
// slice plus one snapshot. A query that costs much is also given a longer interval of its own:
// it may take KEY_SHARE of wall time at most, however many subscribe to it.

/** Share of wall time snapshots may take, all subscriptions together. */
export const SHARE = 0.4;
/** Share of wall time one query (topic and params) may take. */
export const KEY_SHARE = 0.05;
/** Weight of the newest measurement in a running cost estimate. */
const ALPHA = 0.3;
/** Estimate of a query never measured, of a topic never measured. */
const UNKNOWN_COST_MS = 1;

/** Running cost estimates and the time bucket of one hub. */
export class WorkBudget {
  /** Milliseconds the bucket holds at most: one tick's slice. */
  readonly capacityMs: number;
  #credit: number;
  #lastRefill = -Infinity;
  readonly #byKey = new Map<string, number>();
  readonly #byTopic = new Map<string, number>();
  /** Milliseconds spent on snapshots in all. */
  spentMs = 0;

  constructor(tickMs: number) {
    this.capacityMs = tickMs * SHARE;
    this.#credit = this.capacityMs;
  }

  /** Adds the credit earned since the last call (at `now`, ms). */
  refill(now: number): void {
    if (Number.isFinite(this.#lastRefill)) {
      const earned = Math.max(0, now - this.#lastRefill) * SHARE;
      this.#credit = Math.min(this.capacityMs, this.#credit + earned);
    }
    this.#lastRefill = now;
  }

  /** The running estimate of a query's cost (its topic's, or 1 ms, until measured). */
  estimate(key: string, topic: string): number {
    return this.#byKey.get(key) ?? this.#byTopic.get(topic) ?? UNKNOWN_COST_MS;
  }

  /** True when a query estimated at `costMs` may start now. */
  allows(costMs: number): boolean {
    return costMs <= this.#credit || (this.#credit >= this.capacityMs && costMs > this.capacityMs);
  }

  /** Records that a query took `ms`: drains the bucket and updates the estimates. */
  spend(key: string, topic: string, ms: number): void {
    this.#credit -= ms;
    this.spentMs += ms;
    const blend = (old: number | undefined) => old === undefined ? ms : old + ALPHA * (ms - old);
    this.#byKey.set(key, blend(this.#byKey.get(key)));
    this.#byTopic.set(topic, blend(this.#byTopic.get(topic)));
  }

  /** The shortest interval a query may run at: its cost over KEY_SHARE. */
  floorMs(key: string): number {
    const cost = this.#byKey.get(key);
    return cost === undefined ? 0 : cost / KEY_SHARE;
  }

  /** Forgets a query's estimate (no one subscribes to it any more). */
  forget(key: string): void {
    this.#byKey.delete(key);
  }
}
