// Why flow records end, and the listener the engine calls as each one does.

import type { FlowStore } from "./flow_store.ts";

/** Why a flow record ended (stored in the record; IPFIX's flowEndReason follows from it). */
export const EndReason = {
  /** No packet within the idle timeout of its class. */
  Idle: 0,
  /** Longer than the active timeout: the flow goes on as a new record. */
  Active: 1,
  /** The table was full and this flow was among the least recently seen. */
  Evicted: 2,
  /** The capture ended or Netwatch stopped (endAll()). */
  Forced: 3,
} as const;

/** Names of EndReason values, for output. */
export const END_REASON_NAMES: readonly string[] = ["idle", "active", "evicted", "forced"];

/**
 * Called with each record as it ends, while the slot still holds it (read it with
 * flowRecord() or the store; do not keep the slot). Runs on the packet path.
 */
export type FlowEndListener = (store: FlowStore, slot: number, reason: number) => void;
