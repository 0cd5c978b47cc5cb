// The record sets a query reads (active flows, one-packet flows, history) and plain reads of them.

import type { EmbryoTable } from "./embryo_table.ts";
import type { FlowHistory } from "./flow_history.ts";
import { type FlowLabels, type FlowRecord, flowRecord } from "./flow_record.ts";
import type { FlowTable } from "./flow_table.ts";
import type { FlowSource } from "./query.ts";

/** The sources of an engine, in the order queries number them. */
export function flowSources(
  table: FlowTable,
  embryos: EmbryoTable,
  history: FlowHistory,
): FlowSource[] {
  return [
    {
      store: table.store,
      active: true,
      bound: table.slotsUsed,
      slots(sel) {
        let n = 0;
        for (let s = 0; s < table.slotsUsed; s++) if (table.inUse(s)) sel[n++] = s;
        return n;
      },
    },
    {
      store: embryos.store,
      active: true,
      bound: embryos.slotsUsed,
      slots(sel) {
        let n = 0;
        for (let e = 0; e < embryos.slotsUsed; e++) if (embryos.alive(e)) sel[n++] = e;
        return n;
      },
    },
    {
      store: history.store,
      active: false,
      bound: history.count,
      slots(sel) {
        for (let k = 0; k < history.count; k++) sel[k] = history.slotAt(k);
        return history.count;
      },
    },
  ];
}

/** Every record of `sources`, in their order (allocates: not for the packet path). */
export function recordsOf(
  sources: FlowSource[],
  nowSec: number,
  labels?: FlowLabels,
): FlowRecord[] {
  const out: FlowRecord[] = [];
  const sel = new Int32Array(Math.max(0, ...sources.map((source) => source.bound)));
  for (const source of sources) {
    const n = source.slots(sel);
    for (let k = 0; k < n; k++) {
      out.push(flowRecord(source.store, sel[k], source.active, nowSec, labels));
    }
  }
  return out;
}

/** The record with id `id` in `sources`, or undefined. */
export function recordById(
  sources: FlowSource[],
  id: number,
  nowSec: number,
  labels?: FlowLabels,
): FlowRecord | undefined {
  const sel = new Int32Array(Math.max(0, ...sources.map((source) => source.bound)));
  for (const source of sources) {
    const n = source.slots(sel);
    for (let k = 0; k < n; k++) {
      if (source.store.id(sel[k]) === id) {
        return flowRecord(source.store, sel[k], source.active, nowSec, labels);
      }
    }
  }
  return undefined;
}
