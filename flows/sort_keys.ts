// What a flow page can be sorted by: the one list the engine, the history store and the API share.
//
// Pure data with no imports, so server/vocabulary.ts can re-export it into the browser bundle.

/**
 * Sort keys of a flow page, each a number per flow:
 * - "bytes", "packets": both directions together;
 * - "duration": last minus first packet, in seconds;
 * - "first", "last": epoch seconds of the first and the last packet;
 * - "rate": bytes per second over max(duration, 1 s), the lifetime average;
 * - "rate_now": the current rate, over the last 3 finished seconds (0 for ended flows).
 */
export const SORT_KEYS = [
  "bytes",
  "packets",
  "duration",
  "first",
  "last",
  "rate",
  "rate_now",
] as const;

/** One of SORT_KEYS. */
export type SortKey = typeof SORT_KEYS[number];
