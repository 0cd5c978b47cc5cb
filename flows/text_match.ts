// Free-text flow matching (the `q` filter), with what it learns kept across queries of one text.
//
// Whether an address's text contains q never changes, and a live view asks the same q again
// every few hundred milliseconds (the stream): formatting every address of 200k flows each time
// was most of such a query (measured: about 115 ms of 160). So the answers live in direct-mapped
// caches per text, kept for the last MAX_TEXTS texts: a repeat query formats only addresses it
// has not met (or that a colliding one pushed out). Memory is fixed: about 2.4 MB per text.

import { formatIpv4, formatIpv6 } from "../capture/ip_address.ts";
import { protoName } from "./flow_record.ts";
import { SERVICE_NAMES } from "./services.ts";

/** Texts whose caches are kept (the least recently used one goes first). */
const MAX_TEXTS = 8;
/** Cache slots: IPv4 addresses and IPv6 addresses. */
const V4_SLOTS = 1 << 18;
const V6_SLOTS = 1 << 16;

/** What one text matches: ports, services and protocols by table, addresses by cache. */
export class TextMatcher {
  readonly text: string;
  /** Ports whose decimal form contains the text (only for a text of digits). */
  readonly ports?: Uint8Array;
  readonly services: Uint8Array;
  readonly protos: Uint8Array;
  /** False when the text cannot be part of an address (then none is formatted). */
  readonly addresses: boolean;
  /** 0 unknown, 1 no, 2 yes, per slot; the key says which address the slot holds. */
  readonly #v4Key = new Uint32Array(V4_SLOTS);
  readonly #v4Hit = new Uint8Array(V4_SLOTS);
  readonly #v6Key = new Uint32Array(V6_SLOTS * 4);
  readonly #v6Hit = new Uint8Array(V6_SLOTS);

  constructor(text: string) {
    this.text = text;
    if (/^\d+$/.test(text) && text.length <= 5) {
      this.ports = new Uint8Array(65536);
      for (let p = 0; p < 65536; p++) if (String(p).includes(text)) this.ports[p] = 1;
    }
    this.services = new Uint8Array(SERVICE_NAMES.length);
    SERVICE_NAMES.forEach((name, v) => this.services[v] = v > 0 && name.includes(text) ? 1 : 0);
    this.protos = new Uint8Array(256);
    for (let p = 0; p < 256; p++) this.protos[p] = protoName(p).includes(text) ? 1 : 0;
    this.addresses = /^[0-9a-f.:]+$/.test(text);
  }

  /** True when the IPv4 address `address` (host order word) contains the text. */
  v4(address: number): boolean {
    const at = Math.imul(address, 0x9e3779b1) >>> (32 - 18);
    if (this.#v4Hit[at] !== 0 && this.#v4Key[at] === address) return this.#v4Hit[at] === 2;
    const hit = formatIpv4(address).includes(this.text);
    this.#v4Key[at] = address;
    this.#v4Hit[at] = hit ? 2 : 1;
    return hit;
  }

  /** True when the IPv6 address of words w0..w3 contains the text. */
  v6(w0: number, w1: number, w2: number, w3: number): boolean {
    const mixed = Math.imul(
      w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ w3,
      0x9e3779b1,
    );
    const at = mixed >>> (32 - 16);
    const k = at << 2;
    const keys = this.#v6Key;
    if (
      this.#v6Hit[at] !== 0 && keys[k] === w0 >>> 0 && keys[k + 1] === w1 >>> 0 &&
      keys[k + 2] === w2 >>> 0 && keys[k + 3] === w3 >>> 0
    ) {
      return this.#v6Hit[at] === 2;
    }
    const hit = formatIpv6(w0, w1, w2, w3).includes(this.text);
    keys[k] = w0;
    keys[k + 1] = w1;
    keys[k + 2] = w2;
    keys[k + 3] = w3;
    this.#v6Hit[at] = hit ? 2 : 1;
    return hit;
  }
}

const matchers = new Map<string, TextMatcher>();

/** The matcher of `text` (lower case, trimmed), kept across queries. */
export function textMatcher(text: string): TextMatcher {
  let matcher = matchers.get(text);
  if (matcher) {
    matchers.delete(text); // re-inserted below: most recently used last
  } else {
    matcher = new TextMatcher(text);
    if (matchers.size >= MAX_TEXTS) matchers.delete(matchers.keys().next().value!);
  }
  matchers.set(text, matcher);
  return matcher;
}
