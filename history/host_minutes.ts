// A finished minute of per-host traffic as HostMinute rows: the top N exactly, the rest summed.

import { type HostMinute, OTHER_HOST } from "./types.ts";

/** Per-host traffic of one minute, as parallel arrays (e.g. views of the host table). */
export interface HostCandidates {
  /** Candidates 0 to count - 1 are read. */
  count: number;
  bytesSent: ArrayLike<number>;
  bytesReceived: ArrayLike<number>;
  packetsSent: ArrayLike<number>;
  packetsReceived: ArrayLike<number>;
  /** The address text of candidate `i`; called for the top N only. */
  address(i: number): string;
  /** What is known of an address; called for the top N only. */
  describe?(address: string): {
    name?: string | null;
    country?: string | null;
    asn?: number | null;
  } | undefined;
}

/**
 * The rows of `minute`: the `n` candidates with the most bytes (sent + received; ties to the
 * lower index) each exactly, largest first, then one "other" row summing every other candidate
 * with traffic (left out when there is none). Candidates without traffic are skipped. The rows
 * add up to exactly the candidates' totals. Costs O(count log n).
 */
export function hostMinutes(minute: number, c: HostCandidates, n: number): HostMinute[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`Invalid n "${n}": expected 0 or more`);
  const weight = (i: number) => c.bytesSent[i] + c.bytesReceived[i];
  // A min-heap of the best n so far: its root is the one to replace.
  const heap = new Int32Array(n);
  let size = 0;
  /** True when candidate i ranks below j (fewer bytes, or equal and a higher index). */
  const below = (i: number, j: number) =>
    weight(i) < weight(j) || (weight(i) === weight(j) && i > j);
  const siftDown = (at: number) => {
    for (;;) {
      const l = 2 * at + 1;
      if (l >= size) return;
      const r = l + 1;
      const m = r < size && below(heap[r], heap[l]) ? r : l;
      if (!below(heap[m], heap[at])) return;
      [heap[m], heap[at]] = [heap[at], heap[m]];
      at = m;
    }
  };
  const other = { bs: 0, br: 0, ps: 0, pr: 0, any: false };
  const addOther = (i: number) => {
    other.bs += c.bytesSent[i];
    other.br += c.bytesReceived[i];
    other.ps += c.packetsSent[i];
    other.pr += c.packetsReceived[i];
    other.any = true;
  };
  for (let i = 0; i < c.count; i++) {
    if (weight(i) === 0 && c.packetsSent[i] === 0 && c.packetsReceived[i] === 0) continue;
    if (size < n) {
      let at = size++;
      heap[at] = i;
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if (!below(heap[at], heap[parent])) break;
        [heap[at], heap[parent]] = [heap[parent], heap[at]];
        at = parent;
      }
    } else if (n > 0 && below(heap[0], i)) {
      addOther(heap[0]);
      heap[0] = i;
      siftDown(0);
    } else {
      addOther(i);
    }
  }
  const top = Array.from(heap.subarray(0, size)).sort((i, j) => below(i, j) ? 1 : -1);
  const rows: HostMinute[] = top.map((i) => {
    const address = c.address(i);
    const known = c.describe?.(address);
    return {
      minute,
      address,
      name: known?.name ?? null,
      country: known?.country ?? null,
      asn: known?.asn ?? null,
      bytes_sent: c.bytesSent[i],
      bytes_received: c.bytesReceived[i],
      packets_sent: c.packetsSent[i],
      packets_received: c.packetsReceived[i],
    };
  });
  if (other.any) {
    rows.push({
      minute,
      address: OTHER_HOST,
      name: null,
      country: null,
      asn: null,
      bytes_sent: other.bs,
      bytes_received: other.br,
      packets_sent: other.ps,
      packets_received: other.pr,
    });
  }
  return rows;
}
