// When each packet of a paced replay is due, with long gaps in the capture skipped.
//
// A capture can hold months between two packets (files put together from several captures).
// Replayed at its own pace that is a wait nobody wants, and a single timer that long overflows
// (setTimeout takes at most 2^31-1 ms: Deno warned for every retry, 256,942 lines in ten
// minutes). So a gap longer than MAX_GAP_MS of wall time is cut to nothing, said once, and the
// caller sleeps in steps of at most MAX_SLEEP_MS so that a stop is never far away.

/** Paces a replay at `speed` times the capture's own pace. */
export class ReplayPacer {
  /** The longest single sleep a replay loop should take (ms). */
  static readonly MAX_SLEEP_MS = 1000;
  /** A gap between two packets longer than this (ms of wall time, after speed) is skipped. */
  static readonly MAX_GAP_MS = 10_000;
  readonly #speed: number;
  readonly #note: (message: string) => void;
  /** Wall time (ms) that capture time `#baseTs` maps to. */
  #baseMs = NaN;
  #baseTs = 0;
  #lastDue = -Infinity;
  #skipped = 0;
  #noted = false;

  constructor(speed: number, note: (message: string) => void = () => {}) {
    if (!(speed > 0) || !Number.isFinite(speed)) {
      throw new RangeError(`Replay speed must be a positive finite number, got ${speed}`);
    }
    this.#speed = speed;
    this.#note = note;
  }

  /** Gaps skipped so far. */
  get skipped(): number {
    return this.#skipped;
  }

  /** Wall time (epoch ms) at which the packet captured at `ts` (epoch seconds) is due. */
  due(ts: number, nowMs: number): number {
    if (Number.isNaN(this.#baseMs)) {
      this.#baseMs = nowMs;
      this.#baseTs = ts;
    }
    let due = this.#baseMs + (ts - this.#baseTs) * 1000 / this.#speed;
    if (due - Math.max(this.#lastDue, nowMs) > ReplayPacer.MAX_GAP_MS) {
      // Skip the gap: this packet is due now, and the ones after it keep their spacing.
      const gapSec = (due - Math.max(this.#lastDue, nowMs)) * this.#speed / 1000;
      this.#baseMs = nowMs;
      this.#baseTs = ts;
      due = nowMs;
      this.#skipped++;
      if (!this.#noted) {
        this.#noted = true;
        this.#note(
          `replay: skipping a gap of ${formatGap(gapSec)} in the capture (gaps longer than ` +
            `${ReplayPacer.MAX_GAP_MS / 1000} s at this speed are skipped; said once)`,
        );
      }
    }
    // Timestamps that go backwards are due at once, never before the previous packet.
    if (due < this.#lastDue) due = this.#lastDue;
    this.#lastDue = due;
    return due;
  }
}

function formatGap(seconds: number): string {
  if (seconds >= 86400) return `${(seconds / 86400).toFixed(1)} days`;
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)} hours`;
  return `${Math.round(seconds)} s`;
}
