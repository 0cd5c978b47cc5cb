// Shows a packet of a full flow to the payload inspector while the flow has more to tell, and
// writes what it finds into the flow's record: its name and app, and, once the server has
// answered, the name learned for the server's address (passive naming).

import { IpProto, type PacketBatch } from "../../capture/packet_batch.ts";
import {
  ACTIVE_WORDS,
  B_BITS,
  B_INSPECT,
  type FlowStore,
  H_APP,
  MetaBit,
  W_ADDR,
  W_META,
  W_NAME,
} from "../flow_store.ts";
import { FlowBit } from "../tcp_state.ts";
import { Inspect } from "./flow_inspector.ts";
import type { Identity } from "./identity.ts";

/** The payload of a packet whose bytes the reader no longer holds. */
const EMPTY = new Uint8Array(0);

/**
 * Inspects packet `i` of `batch`, which belongs to full flow `s` of `store` (from its B end when
 * `fromB`). The payload bytes are the reader's, valid for packets from batch.rawStart on.
 */
export function inspectRecord(
  identity: Identity,
  store: FlowStore,
  batch: PacketBatch,
  i: number,
  s: number,
  fromB: boolean,
  flags: number,
  ts: number,
): void {
  const r = s * ACTIVE_WORDS;
  const meta = store.u32[r + W_META];
  const proto = meta & 255;
  if ((proto !== IpProto.Tcp && proto !== IpProto.Udp) || (meta & MetaBit.NoPorts) !== 0) {
    store.u8[r * 4 + B_INSPECT] = 1;
    return;
  }
  const clientIsB = (store.u8[r * 4 + B_BITS] & FlowBit.ClientIsB) !== 0;
  const raw = i >= batch.rawStart ? batch.raw : EMPTY;
  const length = raw.length > 0 ? batch.payloadLength[i] : 0;
  const inspector = identity.inspector;
  const out = inspector.inspect(
    s,
    proto,
    fromB === clientIsB,
    batch.srcPort[i],
    batch.dstPort[i],
    batch.tcpSeq[i],
    flags,
    raw,
    batch.payloadOffset[i],
    length,
    ts,
  );
  if (out === 0) return;
  if (out & Inspect.NameFound) store.u32[r + W_NAME] = inspector.nameOf(s);
  if (out & Inspect.AppFound) store.u16[r * 2 + H_APP] = identity.appCodeOf(s);
  if (out & Inspect.Confirmed) {
    const v6 = (meta & MetaBit.V6) !== 0;
    const a = r + W_ADDR;
    identity.learnServerName(s, store.u32, clientIsB ? a : a + 4, clientIsB ? a + 4 : a, v6, ts);
  }
  if (out & Inspect.Done) store.u8[r * 4 + B_INSPECT] = 1;
}
