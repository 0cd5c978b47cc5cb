// Shows a packet of a full flow to the payload inspector while the flow has more to tell, and
// writes what it finds into the flow's record: its name and app, and, once the server has
// answered, the name learned for the server's address (passive naming).
//
// The record's H_INSPECT says where the flow stands (flow_store.ts): an inspector entry is taken
// at its first packet with payload (a packet without one has nothing to read, and most one-sided
// flows never carry any) and given back when the flow is done, ends, or loses it to a newer flow.
// The record holds its own reference on its name (W_NAME), given back when the flow ends for
// good (endInspection()); the history and the inspector's entry hold theirs.

import { IpProto, type PacketBatch } from "../../capture/packet_batch.ts";
import {
  ACTIVE_WORDS,
  B_BITS,
  type FlowStore,
  H_APP,
  H_INSPECT,
  INSPECT_DONE,
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
 * `fromB`), whose H_INSPECT is not INSPECT_DONE. The payload bytes are the reader's, valid for
 * packets from batch.rawStart on.
 *
 * This runs for every packet of a flow until its inspection is over, including a flow that
 * never carries payload; the packet's time is worked out here, only for a packet inspected: as a
 * float argument from the engine it was a new heap number for each of those packets (16 bytes a
 * packet of the usual mix).
 */
export function inspectRecord(
  identity: Identity,
  store: FlowStore,
  batch: PacketBatch,
  i: number,
  s: number,
  fromB: boolean,
  flags: number,
): void {
  const r = s * ACTIVE_WORDS;
  const raw = i >= batch.rawStart ? batch.raw : EMPTY;
  const length = raw.length > 0 ? batch.payloadLength[i] : 0;
  const inspector = identity.inspector;
  let entry = store.u16[r * 2 + H_INSPECT] - 1;
  if (entry < 0) {
    const meta = store.u32[r + W_META];
    const proto = meta & 255;
    if ((proto !== IpProto.Tcp && proto !== IpProto.Udp) || (meta & MetaBit.NoPorts) !== 0) {
      store.u16[r * 2 + H_INSPECT] = INSPECT_DONE;
      return;
    }
    if (length === 0) return; // nothing to read yet: no state needed
    entry = inspector.acquire(s);
    if (inspector.retiredOwner >= 0) retire(store, inspector.retiredOwner, entry);
    store.u16[r * 2 + H_INSPECT] = entry + 1;
  }
  const meta = store.u32[r + W_META];
  const clientIsB = (store.u8[r * 4 + B_BITS] & FlowBit.ClientIsB) !== 0;
  const ts = batch.tsSec[i] + batch.tsNsec[i] * 1e-9;
  const out = inspector.inspect(
    entry,
    meta & 255,
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
  if (out & Inspect.NameFound) {
    const id = inspector.nameOf(entry);
    identity.names.retain(id); // the record's own reference
    identity.names.release(store.u32[r + W_NAME]);
    store.u32[r + W_NAME] = id;
  }
  if (out & Inspect.AppFound) store.u16[r * 2 + H_APP] = identity.appCodeOf(entry);
  if (out & Inspect.Confirmed) {
    const v6 = (meta & MetaBit.V6) !== 0;
    const a = r + W_ADDR;
    identity.learnServerName(
      entry,
      store.u32,
      clientIsB ? a : a + 4,
      clientIsB ? a + 4 : a,
      v6,
      ts,
    );
  }
  if (out & Inspect.Done) {
    inspector.release(entry);
    store.u16[r * 2 + H_INSPECT] = INSPECT_DONE;
  }
}

/**
 * Lets go of what full flow `s` holds for names (it ended for good, and its slot will serve
 * another flow): its inspector entry, if it still has one, and its record's name reference.
 */
export function endInspection(identity: Identity, store: FlowStore, s: number): void {
  const r = s * ACTIVE_WORDS;
  const entry = store.u16[r * 2 + H_INSPECT] - 1;
  if (entry >= 0 && entry + 1 !== INSPECT_DONE) identity.inspector.release(entry);
  store.u16[r * 2 + H_INSPECT] = INSPECT_DONE;
  identity.names.release(store.u32[r + W_NAME]);
  store.u32[r + W_NAME] = 0;
}

/** Flow `owner` lost its entry `entry` to a newer flow: its inspection is over. */
function retire(store: FlowStore, owner: number, entry: number): void {
  const at = owner * ACTIVE_WORDS * 2 + H_INSPECT;
  if (store.u16[at] === entry + 1) store.u16[at] = INSPECT_DONE;
}
