// The packet path's side of export: ended records copied into a ring of typed arrays, no objects.
//
// A flow can end inside FlowEngine.add() (its next packet finds it idle, or a full table evicts
// it), so the end listener runs on the packet path, where nothing may be allocated. It copies
// the slot's fields into this ring (FlowStore.copyFrom: a few typed-array writes); a timer off
// that path turns them into ExportFlow objects for the destinations' queues. When the engine
// moves to a worker, this ring is also the natural batch to hand across.

import type { FlowLabels } from "../flows/flow_record.ts";
import { FlowStore, HISTORY_WORDS } from "../flows/flow_store.ts";
import { exportFlow } from "./export_flow.ts";
import type { ExportFlow } from "./types.ts";

/** Reason code for records ended at shutdown (engine EndReason values are small numbers). */
export const FORCED = 255;

/** A bounded FIFO of ended flow records in struct-of-arrays form. */
export class ExportHandoff {
  readonly capacity: number;
  readonly store: FlowStore;
  readonly #reasons: Uint8Array;
  #head = 0;
  #length = 0;
  /** Records lost because the ring was full (the drain timer fell behind). */
  dropped = 0;
  /** Turns name ids and app codes into text (the engine's identity), when there is one. */
  labels: FlowLabels | undefined;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.store = new FlowStore(capacity, HISTORY_WORDS);
    this.#reasons = new Uint8Array(capacity);
  }

  /** Records waiting to be drained. */
  get length(): number {
    return this.#length;
  }

  /** Copies slot `slot` of `source`, ended for engine EndReason `reason` (or FORCED). O(1). */
  push(source: FlowStore, slot: number, reason: number): void {
    if (this.#length === this.capacity) {
      this.dropped++;
      return;
    }
    let at = this.#head + this.#length;
    if (at >= this.capacity) at -= this.capacity;
    this.store.copyFrom(source, slot, at);
    this.#reasons[at] = reason;
    // The flow lets go of its name when it ends; the copy holds it until drained, so the name
    // table cannot give the entry to another name meanwhile.
    this.labels?.names?.retain(this.store.name(at));
    this.#length++;
  }

  /** Builds the ExportFlow of every waiting record, oldest first, and hands each to `sink`. */
  drain(sink: (flow: ExportFlow) => void): number {
    const n = this.#length;
    for (let i = 0; i < n; i++) {
      const at = this.#head;
      const reason = this.#reasons[at];
      sink(exportFlow(this.store, at, reason === FORCED ? "forced" : reason, this.labels));
      this.labels?.names?.release(this.store.name(at));
      this.#head = at + 1 === this.capacity ? 0 : at + 1;
      this.#length--;
    }
    return n;
  }
}
