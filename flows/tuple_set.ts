// Distinct bidirectional TCP/UDP 5-tuples over a whole capture, independent of flow timeouts.

import { Flag, IpProto, type PacketBatch } from "../capture/packet_batch.ts";
import { hashKey, isFlowPacket, KEY_WORDS, packetKey } from "./flow_key.ts";
import { MetaBit } from "./flow_store.ts";

/**
 * A set of (protocol, {address:port, address:port}) over the TCP and UDP packets that carry
 * ports, VLAN ignored: what `tcp_udp_5tuples` of a report counts. It grows without a cap (it is
 * meant for reports on files; the live engine's memory bound does not apply), 40 bytes a tuple
 * plus an index kept at most half full.
 */
export class TupleSet {
  size = 0;
  private keys = new Uint32Array(0);
  private index = new Int32Array(0);
  private mask = 0;
  private readonly key = new Uint32Array(KEY_WORDS);

  constructor() {
    this.resize(1024);
  }

  /** Adds the 5-tuple of every TCP/UDP packet with ports in `batch`. */
  add(batch: PacketBatch): void {
    const { flags, proto } = batch;
    const key = this.key;
    for (let i = 0; i < batch.count; i++) {
      const f = flags[i];
      if ((f & Flag.Ports) === 0 || (f & Flag.NonFirstFragment) !== 0) continue;
      if (proto[i] !== IpProto.Tcp && proto[i] !== IpProto.Udp) continue;
      if (!isFlowPacket(batch, i)) continue;
      packetKey(batch, i, key);
      key[0] &= 255 | MetaBit.V6; // protocol and version only: no VLAN
      this.insert(key);
    }
  }

  private insert(key: Uint32Array): void {
    const h = hashKey(key);
    const keys = this.keys;
    for (let i = h & this.mask;; i = (i + 1) & this.mask) {
      const entry = this.index[i];
      if (entry === 0) {
        if ((this.size + 1) * 2 > this.index.length) {
          this.resize(this.index.length * 2);
          this.insert(key);
          return;
        }
        const at = this.size * KEY_WORDS;
        if (at + KEY_WORDS > keys.length) this.growKeys();
        this.keys.set(key, at);
        this.index[i] = ++this.size;
        return;
      }
      const at = (entry - 1) * KEY_WORDS;
      let same = true;
      for (let w = 0; w < KEY_WORDS; w++) {
        if (keys[at + w] !== key[w]) {
          same = false;
          break;
        }
      }
      if (same) return;
    }
  }

  private growKeys(): void {
    const keys = new Uint32Array(Math.max(1024, this.keys.length * 2));
    keys.set(this.keys);
    this.keys = keys;
  }

  private resize(size: number): void {
    const index = new Int32Array(size);
    const mask = size - 1;
    const probe = new Uint32Array(KEY_WORDS);
    for (let n = 0; n < this.size; n++) {
      probe.set(this.keys.subarray(n * KEY_WORDS, (n + 1) * KEY_WORDS));
      let i = hashKey(probe) & mask;
      while (index[i] !== 0) i = (i + 1) & mask;
      index[i] = n + 1;
    }
    this.index = index;
    this.mask = mask;
  }
}
