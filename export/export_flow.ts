// Builds the ExportFlow of a flow record from its FlowStore slot, as it ends.

import { EndReason } from "../flows/flow_engine.ts";
import { type FlowLabels, flowRecord } from "../flows/flow_record.ts";
import { type FlowStore, MetaBit } from "../flows/flow_store.ts";
import { FlowBit, tcpClosed } from "../flows/tcp_state.ts";
import type { EndReasonName, ExportFlow } from "./types.ts";

/**
 * The export record of slot `slot` of `store`, ending for `reason`: a FlowEngine EndReason
 * number (as its onFlowEnd listener gets it) or a name ("forced" at shutdown). An idle end of
 * a TCP flow that closed (FIN both ways, or a RST) is reported as "end": the flow's own end
 * was seen, and the idle timer only confirmed it. Allocates one object: call it once per
 * ended flow, never per packet.
 */
export function exportFlow(
  store: FlowStore,
  slot: number,
  reason: number | EndReasonName,
  labels?: FlowLabels,
): ExportFlow {
  const record = flowRecord(store, slot, false, 0, labels);
  const clientIsB = (store.bits(slot) & FlowBit.ClientIsB) !== 0;
  const tcpA = store.tcpA(slot);
  const tcpB = store.tcpB(slot);
  return {
    ...record,
    end_reason: typeof reason === "string" ? reason : endReasonName(reason, tcpA, tcpB),
    tcp_flags_c2s: clientIsB ? tcpB : tcpA,
    tcp_flags_s2c: clientIsB ? tcpA : tcpB,
    ip_version: store.meta(slot) & MetaBit.V6 ? 6 : 4,
  };
}

/** The name of engine EndReason `reason` for a flow whose ends sent TCP flags `tcpA`, `tcpB`. */
function endReasonName(reason: number, tcpA: number, tcpB: number): EndReasonName {
  if (reason === EndReason.Active) return "active";
  if (reason === EndReason.Evicted) return "evicted";
  if (reason === EndReason.Forced) return "forced";
  if (reason === EndReason.Idle) return tcpClosed(tcpA, tcpB) ? "end" : "idle";
  throw new RangeError(`Unknown flow end reason ${reason}`);
}
