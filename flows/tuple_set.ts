// Distinct bidirectional TCP/UDP 5-tuples over a whole capture, independent of flow timeouts.

import { Flag, IpProto, type PacketBatch } from "../capture/packet_batch.ts";
import { hashKey, isFlowPacket, KEY_WORDS, packetKey } from "./flow_key.ts";
import { MetaBit } from "./flow_store.ts";
import { HashIndex } from "./hash_index.ts";

/** Tuples a set holds at most (40 bytes each, plus the index): far beyond any capture file. */
const MAX_TUPLES = 1 << 25;

/**
 * A set of (protocol, {address:port, address:port}) over the TCP and UDP packets that carry
 * ports, VLAN ignored: what `tcp_udp_5tuples` of a report counts. It grows by doubling (it is
 * meant for reports on files; the live engine's memory bound does not apply).
 */
export class TupleSet {
  size = 0;
  #keys = new Uint32Array(1024 * KEY_WORDS);
  readonly #index = new HashIndex(MAX_TUPLES, 1024);
  readonly #key = new Uint32Array(KEY_WORDS);

  /** Adds the 5-tuple of every TCP/UDP packet with ports in `batch`. */
  add(batch: PacketBatch): void {
    const { flags, proto } = batch;
    const key = this.#key;
    for (let i = 0; i < batch.count; i++) {
      const f = flags[i];
      if ((f & Flag.Ports) === 0 || (f & Flag.NonFirstFragment) !== 0) continue;
      if (proto[i] !== IpProto.Tcp && proto[i] !== IpProto.Udp) continue;
      if (!isFlowPacket(batch, i)) continue;
      packetKey(batch, i, key);
      key[0] &= 255 | MetaBit.V6; // protocol and version only: no VLAN
      this.#insert(key);
    }
  }

  #insert(key: Uint32Array): void {
    const h = hashKey(key);
    const keys = this.#keys;
    const index = this.#index;
    for (let n = index.first(h); n >= 0; n = index.next()) {
      const at = n * KEY_WORDS;
      let same = true;
      for (let w = 0; w < KEY_WORDS && same; w++) same = keys[at + w] === key[w];
      if (same) return;
    }
    if (this.size === MAX_TUPLES) throw new RangeError(`More than ${MAX_TUPLES} distinct tuples`);
    const n = this.size++;
    if ((n + 1) * KEY_WORDS > keys.length) {
      const grown = new Uint32Array(keys.length * 2);
      grown.set(keys);
      this.#keys = grown;
    }
    this.#keys.set(key, n * KEY_WORDS);
    if (index.needsGrowth) this.#rebuild(index.grownRecords());
    else if (!index.insert(h, n)) this.#rebuild(index.grownRecords());
  }

  #rebuild(records: number): void {
    const index = this.#index;
    const probe = new Uint32Array(KEY_WORDS);
    for (let size = records;; size = index.grownRecords()) {
      index.reset(Math.max(size, this.size));
      let ok = true;
      for (let n = 0; n < this.size && ok; n++) {
        probe.set(this.#keys.subarray(n * KEY_WORDS, (n + 1) * KEY_WORDS));
        ok = index.insert(hashKey(probe), n);
      }
      if (ok) return;
    }
  }
}
