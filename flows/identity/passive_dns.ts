// Names addresses from what the traffic itself says: DNS answers (A, AAAA, CNAME chains), and
// the names clients asked servers for (TLS/QUIC SNI, HTTP Host), with TTL expiry in a bounded
// table, recording where each name came from and when.
//
// Precedence, best first (a name from a lower rank never hides one from a higher rank while
// that one is unexpired; within a rank the most recent wins):
//   4 dns      an A/AAAA answer: the resolver itself says this name has this address.
//   3 dhcp, netbios, mdns   a host announcing its own name on the LAN.
//   2 sni, quic   a client asked this server for the name AND the server answered the
//              handshake: the engine only calls learn() for these once it saw the reply.
//   1 http     the same for an HTTP Host: any web server answers any Host, so it ranks last.
//              A request to a proxy (CONNECT, absolute form) names the site behind it: never
//              learned (HttpProxy), like an MGCP gateway domain.
// Why: ntopng named hosting servers after a site (ntopng #6064) because scanners sent them
// ClientHellos for it and ntopng took the SNI as truth. A client's request is a claim about the
// SERVER only, never about the client (which is why the engine passes the server's address),
// and it is weaker than the resolver's answer.

import { formatIpv4, formatIpv6 } from "../../capture/ip_address.ts";
import { type DnsMessage, DnsType } from "../../capture/payload/dns_message.ts";
import { NameTable, NO_NAME } from "./name_table.ts";

/** Where a name came from. */
export const NameSource = {
  None: 0,
  Dns: 1,
  Sni: 2,
  Quic: 3,
  Http: 4,
  Dhcp: 5,
  Netbios: 6,
  Mdns: 7,
  /** An MGCP endpoint's gateway domain: shown on the flow, never learned for an address. */
  Mgcp: 8,
  /** The Host of a request sent to a proxy: the site behind it, shown on the flow only. */
  HttpProxy: 9,
  /**
   * Names a server gives itself, shown on the flow only and only until the client asks for one
   * (SNI after STARTTLS): a STUN/TURN server's realm, a mail or Munin server's greeting.
   */
  StunRealm: 10,
  Greeting: 11,
  /**
   * A name in a client's first message in protocols whose server never confirms it (SD-RTN,
   * collectd, Xiaomi push, WHOIS): shown on the flow only.
   */
  ClientMessage: 12,
  /** The first answer's name of a DNS response that carries no question (mDNS): flow only. */
  DnsAnswer: 13,
} as const;

/** Source labels by NameSource value, as the API shows them. */
export const SOURCE_NAMES: readonly string[] = [
  "",
  "dns",
  "sni",
  "quic",
  "http",
  "dhcp",
  "netbios",
  "mdns",
];
const RANK = [0, 4, 2, 2, 1, 3, 3, 3];

/** A name known for an address. */
export interface LearnedName {
  address: string;
  name: string;
  source: string;
  /** Seconds since the epoch when it was last seen. */
  seen: number;
  /** Seconds since the epoch when it stops counting. */
  expires: number;
}

/** Limits of a PassiveDns table. */
export interface PassiveDnsOptions {
  /** Addresses kept (least recently learned evicted first). Default 65536. */
  capacity?: number;
  /** DNS TTLs are clamped to [minTtl, maxTtl] seconds. Defaults 300 and 86400. */
  minTtl?: number;
  maxTtl?: number;
  /** How long a name learned from a handshake (sni, quic, http) or announcement lasts. Default 3600. */
  claimTtl?: number;
  /** Learned names kept for drainLearned() (history storage); more are dropped and counted. */
  recentCapacity?: number;
}

interface Slot {
  nameId: number;
  source: number;
  seen: number;
  expires: number;
  /** Learn order, to break ties between names seen in the same second. */
  order: number;
}

/** Names kept per address (a CDN address serves many names). */
const NAMES_PER_ADDRESS = 4;

/** The address -> names table. */
export class PassiveDns {
  readonly names: NameTable;
  readonly capacity: number;
  /** Addresses evicted to make room. */
  evictions = 0;
  /** Learned names that did not fit the queue drainLearned() empties. */
  recentDrops = 0;
  #entries = new Map<number | string, Slot[]>();
  #minTtl: number;
  #maxTtl: number;
  #claimTtl: number;
  #recent: LearnedName[] = [];
  #recentCapacity: number;
  #order = 0;

  constructor(names: NameTable, options: PassiveDnsOptions = {}) {
    this.names = names;
    this.capacity = options.capacity ?? 65536;
    this.#minTtl = options.minTtl ?? 300;
    this.#maxTtl = options.maxTtl ?? 86400;
    this.#claimTtl = options.claimTtl ?? 3600;
    this.#recentCapacity = options.recentCapacity ?? 4096;
    if (!(this.capacity >= 1 && this.#minTtl >= 0 && this.#maxTtl >= this.#minTtl)) {
      throw new RangeError(`PassiveDns options out of range: ${JSON.stringify(options)}`);
    }
  }

  /** Addresses known. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Records that `name` belongs to the address `words[at..]` (one word for IPv4, four for
   * IPv6), learned from `source` at `now` (seconds); `ttl` is the DNS TTL (ignored for other
   * sources). A port on the name is dropped; an address literal is not a name. Returns true
   * when the name is now known for the address.
   */
  learn(
    words: ArrayLike<number>,
    at: number,
    v6: boolean,
    name: string,
    source: number,
    ttl: number,
    now: number,
  ): boolean {
    const host = hostOnly(name);
    if (!host || !(RANK[source] > 0)) return false;
    const lifetime = source === NameSource.Dns
      ? Math.min(Math.max(ttl, this.#minTtl), this.#maxTtl)
      : this.#claimTtl;
    const key = keyOf(words, at, v6);
    let slots = this.#entries.get(key);
    if (slots) {
      this.#entries.delete(key); // re-inserted below: Map order is least recently learned first
    } else {
      slots = [];
      if (this.#entries.size >= this.capacity) this.#evictOldest(now);
    }
    this.#entries.set(key, slots);
    const stored = this.#store(slots, host, source, now, now + lifetime);
    if (slots.length === 0) this.#entries.delete(key);
    if (stored) this.#remember(words, at, v6, host, source, now, now + lifetime);
    return stored;
  }

  /**
   * Learns the addresses of a DNS response: each A/AAAA answer names its address with the
   * record's owner name and, when a CNAME chain leads there from the question, with the name
   * the client asked for (learned last, so it is the one shown). Returns addresses named.
   */
  learnDnsAnswers(message: DnsMessage, now: number, source: number = NameSource.Dns): number {
    if (!message.response || message.rcode !== 0) return 0;
    const canonical = new Map<string, string>();
    for (const a of message.answers) if (a.type === DnsType.Cname) canonical.set(a.name, a.target!);
    // Names reachable from the question through CNAMEs (bounded: chains are short).
    const chain = new Set<string>();
    for (let n: string | undefined = message.questionName; n && !chain.has(n) && chain.size < 16;) {
      chain.add(n);
      n = canonical.get(n);
    }
    let learned = 0;
    // Any LAN host may multicast an answer, and mDNS ranks above SNI: it names only what it
    // is for (RFC 6762's .local, LLMNR's single labels), never a site's address.
    const local = source === NameSource.Mdns;
    for (const a of message.answers) {
      if (!a.address || (local && !isLocalName(a.name))) continue;
      const v6 = a.type === DnsType.Aaaa;
      let ok = this.learn(a.address, 0, v6, a.name, source, a.ttl, now);
      if (
        chain.has(a.name) && message.questionName !== a.name &&
        (!local || isLocalName(message.questionName))
      ) {
        ok = this.learn(a.address, 0, v6, message.questionName, source, a.ttl, now) || ok;
      }
      if (ok) learned++;
    }
    return learned;
  }

  /** The best unexpired name of an address, or undefined. */
  lookup(
    words: ArrayLike<number>,
    at: number,
    v6: boolean,
    now: number,
  ): { name: string; source: string; seen: number } | undefined {
    const slot = this.#best(words, at, v6, now);
    if (!slot) return undefined;
    return {
      name: this.names.nameOf(slot.nameId)!,
      source: SOURCE_NAMES[slot.source],
      seen: slot.seen,
    };
  }

  /** The name id of the best unexpired name (NO_NAME when none); allocates nothing for IPv4. */
  nameIdOf(words: ArrayLike<number>, at: number, v6: boolean, now: number): number {
    return this.#best(words, at, v6, now)?.nameId ?? NO_NAME;
  }

  /** Every unexpired name of an address, best first (for a host's detail page). */
  namesOf(words: ArrayLike<number>, at: number, v6: boolean, now: number): LearnedName[] {
    const slots = this.#entries.get(keyOf(words, at, v6)) ?? [];
    const address = format(words, at, v6);
    return slots.filter((s) => s.expires > now).sort(better).map((s) => ({
      address,
      name: this.names.nameOf(s.nameId)!,
      source: SOURCE_NAMES[s.source],
      seen: s.seen,
      expires: s.expires,
    }));
  }

  /** Removes expired names; returns how many. Call now and then (e.g. once a minute). */
  sweep(now: number): number {
    let removed = 0;
    for (const [key, slots] of this.#entries) {
      for (let i = slots.length - 1; i >= 0; i--) {
        if (slots[i].expires <= now) {
          this.names.release(slots[i].nameId);
          slots.splice(i, 1);
          removed++;
        }
      }
      if (slots.length === 0) this.#entries.delete(key);
    }
    return removed;
  }

  /** Names learned since the last call (at most `max`), oldest first, for history storage. */
  drainLearned(max = Infinity): LearnedName[] {
    return this.#recent.splice(0, Math.min(max, this.#recent.length));
  }

  #store(slots: Slot[], host: string, source: number, now: number, expires: number): boolean {
    const existing = slots.find((s) => this.names.nameOf(s.nameId) === host);
    if (existing) {
      existing.seen = now;
      existing.order = ++this.#order;
      existing.expires = Math.max(existing.expires, expires);
      if (RANK[source] > RANK[existing.source]) existing.source = source;
      return true;
    }
    if (slots.length >= NAMES_PER_ADDRESS) {
      // Replace the weakest slot (expired first, then lowest rank, then oldest), never a
      // better-ranked one that still counts.
      let weakest = 0;
      for (let i = 1; i < slots.length; i++) {
        if (better(slots[weakest], slots[i], now) < 0) weakest = i;
      }
      const w = slots[weakest];
      if (w.expires > now && RANK[w.source] > RANK[source]) return false;
      this.names.release(w.nameId);
      slots.splice(weakest, 1);
    }
    const nameId = this.names.intern(host);
    if (nameId === NO_NAME) return false;
    slots.push({ nameId, source, seen: now, expires, order: ++this.#order });
    return true;
  }

  #best(words: ArrayLike<number>, at: number, v6: boolean, now: number): Slot | undefined {
    const slots = this.#entries.get(keyOf(words, at, v6));
    let best: Slot | undefined;
    if (!slots) return undefined;
    for (const s of slots) if (s.expires > now && (!best || better(s, best) < 0)) best = s;
    return best;
  }

  #evictOldest(now: number): void {
    if (this.sweep(now) > 0 && this.#entries.size < this.capacity) return;
    for (const [key, slots] of this.#entries) {
      for (const s of slots) this.names.release(s.nameId);
      this.#entries.delete(key);
      this.evictions++;
      return;
    }
  }

  #remember(
    words: ArrayLike<number>,
    at: number,
    v6: boolean,
    name: string,
    source: number,
    seen: number,
    expires: number,
  ) {
    if (this.#recent.length >= this.#recentCapacity) {
      this.recentDrops++;
      return;
    }
    this.#recent.push({
      address: format(words, at, v6),
      name,
      source: SOURCE_NAMES[source],
      seen,
      expires,
    });
  }
}

/**
 * Orders slots best first: higher rank, then more recently seen. With `now`, an expired slot
 * is worse than any live one.
 */
function better(a: Slot, b: Slot, now?: number): number {
  if (now !== undefined && (a.expires > now) !== (b.expires > now)) return a.expires > now ? -1 : 1;
  return RANK[b.source] - RANK[a.source] || b.seen - a.seen || b.order - a.order;
}

/** True for a name only a LAN can answer for: under .local (mDNS), or one label (LLMNR). */
function isLocalName(name: string): boolean {
  return name.endsWith(".local") || name.endsWith(".local.") || !name.includes(".");
}

/** The host part of a name ("host:8080" -> "host"); "" for an address literal or junk. */
function hostOnly(name: string): string {
  let host = name.toLowerCase();
  if (host.startsWith("[")) return ""; // an IPv6 literal
  const colon = host.lastIndexOf(":");
  if (colon >= 0) {
    if (host.indexOf(":") !== colon) return ""; // a bare IPv6 literal
    host = host.slice(0, colon);
  }
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (!host || /^[0-9.]+$/.test(host)) return "";
  return host;
}

function keyOf(words: ArrayLike<number>, at: number, v6: boolean): number | string {
  if (!v6) return words[at] >>> 0;
  return `${words[at] >>> 0}:${words[at + 1] >>> 0}:${words[at + 2] >>> 0}:${words[at + 3] >>> 0}`;
}

function format(words: ArrayLike<number>, at: number, v6: boolean): string {
  return v6
    ? formatIpv6(words[at], words[at + 1], words[at + 2], words[at + 3])
    : formatIpv4(words[at] >>> 0);
}
