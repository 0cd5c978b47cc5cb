// Throughput points for the chart: bit/s and packet/s over time, kept sorted and trimmed.
//
// The arrays hold chart.js point objects and are mutated in place, so the chart's datasets can
// point at them and a new second costs one push and one redraw.

/** One chart point: x in epoch seconds. */
export interface Point {
  x: number;
  y: number;
}

/** The chart's two series over the shown range. */
export class ThroughputBuffer {
  readonly bps: Point[] = [];
  readonly pps: Point[] = [];
  /** Points added from the live stream since the page loaded. */
  livePoints = 0;

  /** Replaces every point (history from /series); `t` ascending. */
  replace(t: number[], bps: number[], pps: number[]): void {
    this.bps.length = 0;
    this.pps.length = 0;
    for (let i = 0; i < t.length; i++) {
      this.bps.push({ x: t[i], y: bps[i] ?? 0 });
      this.pps.push({ x: t[i], y: pps[i] ?? 0 });
    }
  }

  /** Appends a live point; a point not after the last one is ignored. Returns whether added. */
  push(x: number, bps: number, pps: number): boolean {
    const last = this.bps.at(-1);
    if (last && x <= last.x) return false;
    this.bps.push({ x, y: bps });
    this.pps.push({ x, y: pps });
    this.livePoints++;
    return true;
  }

  /** Drops points before `minX`. */
  trim(minX: number): void {
    let n = 0;
    while (n < this.bps.length && this.bps[n].x < minX) n++;
    if (n > 0) {
      this.bps.splice(0, n);
      this.pps.splice(0, n);
    }
  }

  /** The newest point's values, or null when empty. */
  latest(): { x: number; bps: number; pps: number } | null {
    const i = this.bps.length - 1;
    return i < 0 ? null : { x: this.bps[i].x, bps: this.bps[i].y, pps: this.pps[i].y };
  }
}
