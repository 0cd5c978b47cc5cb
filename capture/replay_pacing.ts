// Replay pacing: when each packet of a file is due at `speed` times its own pace, in sleeps of
// bounded length, with long silences in the capture skipped instead of waited out.
//
// A capture may hold a gap of months between two packets (or 1e-308 may be asked as a speed):
// one setTimeout of that length overflows (node prints a TimeoutOverflowWarning and fires at
// once, in a loop), and waiting it out would leave the dashboard frozen. So sleeps are at most
// MAX_SLEEP_STEP_MS, and a gap longer than MAX_GAP_MS of wall time is skipped.

/** Longest single sleep: a stop, or a returned batch, is seen at least this often. */
export const MAX_SLEEP_STEP_MS = 1000;
/** Longest silence replayed as is, in wall time; longer ones are skipped. */
export const MAX_GAP_MS = 10_000;
/** Accepted --speed values (besides "max"). */
export const MIN_SPEED = 0.001;
export const MAX_SPEED = 1_000_000;

/** A gap that was skipped. */
export interface SkippedGap {
  /** The silence in the capture, in seconds of capture time. */
  captureSec: number;
  /** Index (from 0) of the packet after it. */
  packet: number;
}

/** Decides when each packet of one replay is due. */
export class ReplayPacer {
  readonly speed: number;
  readonly maxGapMs: number;
  #firstTs = NaN;
  #startMs = 0;
  /** Wall time taken out of the schedule by skipped gaps. */
  #skippedMs = 0;
  #lastDue = 0;
  #packets = 0;
  /** Gaps skipped so far. */
  skipped = 0;
  /** The first gap skipped (to be said once). */
  firstSkip?: SkippedGap;

  constructor(speed: number, maxGapMs = MAX_GAP_MS) {
    if (!(speed >= MIN_SPEED && speed <= MAX_SPEED)) {
      throw new RangeError(`Replay speed ${speed} is outside ${MIN_SPEED} to ${MAX_SPEED}`);
    }
    this.speed = speed;
    this.maxGapMs = maxGapMs;
  }

  /**
   * The wall-clock time (epoch ms) the packet stamped `tsSec` (capture time, seconds) is due,
   * given `nowMs`. The first packet is due now; each next one after its gap over `speed`, or
   * right after the previous one when that gap is longer than maxGapMs (counted in `skipped`).
   * Timestamps that go backwards make a packet due at once.
   */
  due(tsSec: number, nowMs: number): number {
    const index = this.#packets++;
    if (Number.isNaN(this.#firstTs)) {
      this.#firstTs = tsSec;
      this.#startMs = this.#lastDue = nowMs;
      return nowMs;
    }
    let due = this.#startMs + (tsSec - this.#firstTs) * 1000 / this.speed - this.#skippedMs;
    if (due - this.#lastDue > this.maxGapMs) {
      this.#skippedMs += due - this.#lastDue;
      this.skipped++;
      this.firstSkip ??= {
        captureSec: (due - this.#lastDue) * this.speed / 1000,
        packet: index,
      };
      due = this.#lastDue;
    }
    this.#lastDue = Math.max(this.#lastDue, due);
    return due;
  }
}

/** How long to sleep now towards `dueMs`: never more than MAX_SLEEP_STEP_MS, never negative. */
export function sleepStep(dueMs: number, nowMs: number): number {
  return Math.max(0, Math.min(dueMs - nowMs, MAX_SLEEP_STEP_MS));
}

/** The one line that says gaps are being skipped. */
export function skipNotice(gap: SkippedGap): string {
  const days = gap.captureSec / 86400;
  const span = days >= 1 ? `${days.toFixed(1)} days` : `${gap.captureSec.toFixed(1)} s`;
  return `netwatch: replay skips silences longer than ${MAX_GAP_MS / 1000} s of wall time ` +
    `(the first: ${span} before packet ${gap.packet + 1}); said once`;
}
