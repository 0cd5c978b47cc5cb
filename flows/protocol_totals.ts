// Running per-protocol totals for /metrics, folded from the per-second ring so they never go down.

import { L4_CLASS_NAMES, type TimeSeries } from "./time_series.ts";

const L4_CLASSES = L4_CLASS_NAMES.length;

/**
 * Totals by protocol class since start. Each read folds the complete seconds the ring holds and
 * adds the current second's partial counts, so values only grow as long as reads come at least
 * once per ring length (an hour); the server also folds on a timer to guarantee that.
 */
export class ProtocolTotals {
  readonly #bytes = new Float64Array(L4_CLASSES);
  readonly #packets = new Float64Array(L4_CLASSES);
  /** Last second folded in; -Infinity before the first read. */
  #folded = -Infinity;

  /** Folds the complete seconds up to `nowSec` and returns totals by class name. */
  read(series: TimeSeries, nowSec: number): { name: string; packets: number; bytes: number }[] {
    const ring = series.seconds;
    const current = Math.floor(nowSec);
    const from = Math.max(this.#folded + 1, current - ring.length + 1);
    for (let t = from; t < current; t++) {
      const slot = ring.slotOf(t);
      if (slot < 0) continue;
      for (let c = 0; c < L4_CLASSES; c++) {
        this.#bytes[c] += ring.l4Bytes[slot * L4_CLASSES + c];
        this.#packets[c] += ring.l4Packets[slot * L4_CLASSES + c];
      }
    }
    this.#folded = Math.max(this.#folded, current - 1);
    const slot = ring.slotOf(current);
    return L4_CLASS_NAMES.map((name, c) => ({
      name,
      packets: this.#packets[c] + (slot < 0 ? 0 : ring.l4Packets[slot * L4_CLASSES + c]),
      bytes: this.#bytes[c] + (slot < 0 ? 0 : ring.l4Bytes[slot * L4_CLASSES + c]),
    }));
  }
}
