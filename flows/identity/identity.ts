// Who and what, for one engine: flow names and apps from payloads, host names, places.
//
// One object owns the tables the engine and its readers share: interned names, the per-flow
// inspector, passive DNS (names learned for addresses) and, when databases were given, GeoIP.
// Flow records keep a name id and an app code (protocol and application in one number); this
// turns them back into text for output, and answers filters by name and app.

import { Protocol, PROTOCOL_NAMES } from "../../capture/payload/app_protocol.ts";
import { addressWordsOf } from "../address_parse.ts";
import { appLabel, AppMatcher } from "./app_rules.ts";
import { FlowInspector } from "./flow_inspector.ts";
import type { GeoIp, Place } from "./geoip.ts";
import { NameTable, NO_NAME } from "./name_table.ts";
import { type LearnedName, PassiveDns } from "./passive_dns.ts";

/** App codes: protocol * APP_SPAN + application id. */
const APP_SPAN = 1024;

/** What is known of a host, for talkers and the host view. */
export interface HostInfo {
  name: string | null;
  country: string | null;
  asn: number | null;
}

/** Options of an Identity. */
export interface IdentityOptions {
  /** Interned names at most (default 65,536). */
  names?: number;
  /** Addresses passive DNS remembers at most (default 65,536). */
  addresses?: number;
  /** Flows inspected at once (default and most: 65,534; see inspection_entries.ts). */
  entries?: number;
  geoip?: GeoIp;
}

/** The identity tables of one engine. */
export class Identity {
  readonly names: NameTable;
  readonly passiveDns: PassiveDns;
  readonly inspector: FlowInspector;
  readonly matcher: AppMatcher;
  geoip: GeoIp | undefined;
  readonly #labels = new Map<number, string>();

  constructor(options: IdentityOptions = {}) {
    this.names = new NameTable(options.names ?? 65_536);
    this.passiveDns = new PassiveDns(this.names, { capacity: options.addresses ?? 65_536 });
    this.matcher = new AppMatcher();
    this.inspector = new FlowInspector({
      names: this.names,
      passiveDns: this.passiveDns,
      matcher: this.matcher,
      entries: options.entries,
    });
    this.geoip = options.geoip;
  }

  /** The app code of the flow in inspector entry `entry`: protocol and application. */
  appCodeOf(entry: number): number {
    const protocol = this.inspector.protocolOf(entry);
    return protocol * APP_SPAN + (this.inspector.appOf(entry) % APP_SPAN);
  }

  /** "TLS.YouTube", "DNS", ... of an app code, or null when nothing is known. */
  appLabel(code: number): string | null {
    if (code === 0) return null;
    let label = this.#labels.get(code);
    if (label === undefined) {
      const protocol = Math.floor(code / APP_SPAN);
      label = appLabel(
        protocol === Protocol.Unknown ? "" : PROTOCOL_NAMES[protocol] ?? "",
        this.matcher.appName(code % APP_SPAN),
      );
      this.#labels.set(code, label);
    }
    return label === "" ? null : label;
  }

  /** The text of name id `id`, or null. */
  nameText(id: number): string | null {
    return id === NO_NAME ? null : this.names.nameOf(id) ?? null;
  }

  /** App codes whose label matches `app` (case-insensitive: the whole label, or a part). */
  appCodesMatching(app: string): Set<number> {
    const want = app.toLowerCase();
    const out = new Set<number>();
    const protocols = PROTOCOL_NAMES.length;
    for (let p = 0; p < protocols; p++) {
      for (let a = 0; a < this.matcher.apps.length; a++) {
        const code = p * APP_SPAN + a;
        const label = this.appLabel(code)?.toLowerCase();
        if (!label) continue;
        if (label === want || label.split(".").includes(want)) out.add(code);
      }
    }
    return out;
  }

  /** Name ids matching `pattern`: an exact name, or "*.suffix" (the suffix and below). */
  nameIdsMatching(pattern: string): Set<number> {
    const want = pattern.toLowerCase().replace(/\.$/, "");
    const suffix = want.startsWith("*.") ? want.slice(1) : undefined;
    const out = new Set<number>();
    for (const [id, name] of this.names.entries()) {
      const n = name.toLowerCase();
      if (suffix ? n.endsWith(suffix) || n === suffix.slice(1) : n === want) out.add(id);
    }
    return out;
  }

  /** Name ids whose name contains `text` (lower-case). */
  nameIdsContaining(text: string): Set<number> {
    const out = new Set<number>();
    for (const [id, name] of this.names.entries()) {
      if (name.toLowerCase().includes(text)) out.add(id);
    }
    return out;
  }

  /** App codes whose label contains `text` (lower-case). */
  appCodesContaining(text: string): Set<number> {
    const out = new Set<number>();
    for (let p = 0; p < PROTOCOL_NAMES.length; p++) {
      for (let a = 0; a < this.matcher.apps.length; a++) {
        const code = p * APP_SPAN + a;
        if (this.appLabel(code)?.toLowerCase().includes(text)) out.add(code);
      }
    }
    return out;
  }

  /** Name, country and AS number of the address at `words[at..]`. */
  hostInfo(words: ArrayLike<number>, at: number, v6: boolean, nowSec: number): HostInfo {
    const name = this.passiveDns.lookup(words, at, v6, nowSec)?.name ?? null;
    const place = this.geoip?.lookup(words, at, v6);
    return { name, country: place?.country ?? null, asn: place?.asn ?? null };
  }

  /** hostInfo() of an address given as text. */
  hostInfoOf(address: string, nowSec: number): HostInfo {
    const parsed = addressWordsOf(address);
    if (!parsed) return { name: null, country: null, asn: null };
    return this.hostInfo(parsed.words, 0, parsed.v6, nowSec);
  }

  /** Every name known for an address, best first, with where each came from. */
  namesOf(address: string, nowSec: number): LearnedName[] {
    const parsed = addressWordsOf(address);
    return parsed ? this.passiveDns.namesOf(parsed.words, 0, parsed.v6, nowSec) : [];
  }

  /** The place of an address (GeoIP), or null. */
  placeOf(address: string): Place | null {
    const parsed = addressWordsOf(address);
    return parsed ? this.geoip?.lookup(parsed.words, 0, parsed.v6) ?? null : null;
  }

  /**
   * Learns the name of the flow in inspector entry `entry` for its server address (after the
   * server answered the handshake).
   */
  learnServerName(
    entry: number,
    words: Uint32Array,
    serverAt: number,
    clientAt: number,
    v6: boolean,
    nowSec: number,
  ): void {
    const inspector = this.inspector;
    const name = inspector.nameTextOf(entry);
    if (!name) return;
    const at = inspector.nameOwnerIsInitiator(entry) ? clientAt : serverAt;
    this.passiveDns.learn(words, at, v6, name, inspector.sourceOf(entry), 0, nowSec);
  }
}
