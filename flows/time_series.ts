// Fixed rings of traffic per second (last hour) and per minute (last day), by protocol and service.

import { SERVICE_NAMES } from "./services.ts";

/** Protocol classes of the series. NonFlow: non-IP, undecoded and invalid frames. */
export const L4Class = { Tcp: 0, Udp: 1, Icmp: 2, Other: 3, NonFlow: 4 } as const;
/** Names by L4Class number. */
export const L4_CLASS_NAMES: readonly string[] = ["tcp", "udp", "icmp", "other", "non_flow"];
const L4_CLASSES = L4_CLASS_NAMES.length;
/** Services tracked: every entry of SERVICE_NAMES (index 0 collects unknown services). */
const SERVICES = SERVICE_NAMES.length;
/**
 * Apps tracked per minute: the first APPS - 1 app codes seen get a column each (index 0 holds
 * flows of no known app, and apps past the cap): a bounded table, whatever the traffic.
 */
export const APPS = 128;
/** Seconds of per-second app totals kept: enough for the "now" window (the last 3 seconds). */
const APP_SECONDS = 8;

/** Totals over a span of time. */
export interface TrafficTotals {
  packets: number;
  bytes: number;
  dropped: number;
  /** By protocol class name. */
  protocols: Record<string, { packets: number; bytes: number }>;
  /** By service name ("other" for flows of no known service), busiest first, empty ones left out. */
  services: { service: string; packets: number; bytes: number }[];
}

/** One point of a series. */
export interface TrafficPoint {
  /** Epoch seconds at the start of the period. */
  t: number;
  packets: number;
  bytes: number;
  dropped: number;
}

/**
 * A ring of `length` periods of `period` seconds. Slot `t % length` holds period `t` (t counted
 * from the epoch); its stamp says which, so stale slots read as zero and are cleared when
 * reused. Packets older than the ring (out-of-order timestamps) are counted in `late`.
 */
export class TrafficRing {
  readonly period: number;
  readonly length: number;
  /** Packets too old for the ring. */
  late = 0;
  readonly stamp: Float64Array;
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  readonly dropped: Float64Array;
  /** L4_CLASSES values per slot. */
  readonly l4Packets: Float64Array;
  readonly l4Bytes: Float64Array;
  /** SERVICES values per slot. */
  readonly servicePackets: Float64Array;
  readonly serviceBytes: Float64Array;
  /** APPS values per slot (the minute ring only; empty otherwise). */
  readonly appPackets: Float64Array;
  readonly appBytes: Float64Array;

  constructor(period: number, length: number, apps = 0) {
    this.period = period;
    this.length = length;
    this.stamp = new Float64Array(length).fill(-1);
    this.packets = new Float64Array(length);
    this.bytes = new Float64Array(length);
    this.dropped = new Float64Array(length);
    this.l4Packets = new Float64Array(length * L4_CLASSES);
    this.l4Bytes = new Float64Array(length * L4_CLASSES);
    this.servicePackets = new Float64Array(length * SERVICES);
    this.serviceBytes = new Float64Array(length * SERVICES);
    this.appPackets = new Float64Array(length * apps);
    this.appBytes = new Float64Array(length * apps);
  }

  /** Slot for time `ts`, cleared if it held an older period; -1 when `ts` is too old. */
  slotFor(ts: number): number {
    const t = Math.floor(ts / this.period);
    const slot = t % this.length;
    const held = this.stamp[slot];
    if (held === t) return slot;
    if (held > t) {
      this.late++;
      return -1;
    }
    this.stamp[slot] = t;
    this.packets[slot] = 0;
    this.bytes[slot] = 0;
    this.dropped[slot] = 0;
    this.l4Packets.fill(0, slot * L4_CLASSES, (slot + 1) * L4_CLASSES);
    this.l4Bytes.fill(0, slot * L4_CLASSES, (slot + 1) * L4_CLASSES);
    this.servicePackets.fill(0, slot * SERVICES, (slot + 1) * SERVICES);
    this.serviceBytes.fill(0, slot * SERVICES, (slot + 1) * SERVICES);
    if (this.appBytes.length > 0) {
      this.appPackets.fill(0, slot * APPS, (slot + 1) * APPS);
      this.appBytes.fill(0, slot * APPS, (slot + 1) * APPS);
    }
    return slot;
  }

  /** Adds `packets` packets of `bytes` bytes in all at time `ts`. */
  addTraffic(ts: number, packets: number, bytes: number, l4: number, service: number): void {
    const slot = this.slotFor(ts);
    if (slot >= 0) this.addAt(slot, packets, bytes, l4, service);
  }

  /** addTraffic() into slot `slot`, found by slotFor() for the same period. */
  addAt(slot: number, packets: number, bytes: number, l4: number, service: number): void {
    this.packets[slot] += packets;
    this.bytes[slot] += bytes;
    this.l4Packets[slot * L4_CLASSES + l4] += packets;
    this.l4Bytes[slot * L4_CLASSES + l4] += bytes;
    this.servicePackets[slot * SERVICES + service] += packets;
    this.serviceBytes[slot * SERVICES + service] += bytes;
  }

  /** Slot holding period `t`, or -1 when the ring does not hold it. */
  slotOf(t: number): number {
    const slot = t % this.length;
    return this.stamp[slot] === t ? slot : -1;
  }
}

function addAppTo(ring: TrafficRing, ts: number, packets: number, bytes: number, column: number) {
  const slot = ring.slotFor(ts);
  if (slot < 0) return;
  ring.appPackets[slot * APPS + column] += packets;
  ring.appBytes[slot * APPS + column] += bytes;
}

/** Per-second (3600 s) and per-minute (24 h) traffic rings, fed packet by packet. */
export class TimeSeries {
  readonly seconds = new TrafficRing(1, 3600);
  readonly minutes = new TrafficRing(60, 1440, APPS);
  /** The last APP_SECONDS seconds by app, for windows shorter than a minute ("now"). */
  readonly recentApps = new TrafficRing(1, APP_SECONDS, APPS);
  /** App code (flow_record.ts) of each app column; column 0 is "none or other". */
  readonly appCodes = new Uint32Array(APPS);
  readonly #appColumn = new Map<number, number>();
  #appColumns = 1;

  /** The minute ring's column of app code `code` (0 when unknown, or past the cap). */
  appColumn(code: number): number {
    if (code === 0) return 0;
    let column = this.#appColumn.get(code);
    if (column === undefined) {
      if (this.#appColumns === APPS) return 0;
      column = this.#appColumns++;
      this.#appColumn.set(code, column);
      this.appCodes[column] = code;
    }
    return column;
  }

  /** Adds traffic of app column `column` to the minute ring at `ts` (see appColumn()). */
  addApp(ts: number, packets: number, bytes: number, column: number): void {
    addAppTo(this.minutes, ts, packets, bytes, column);
    addAppTo(this.recentApps, ts, packets, bytes, column);
  }

  /**
   * Bytes and packets by app code over the last `windowSec` seconds up to `nowSec` (code 0: no
   * known app), busiest first: whole seconds for a few seconds, else the whole minutes that
   * cover the window.
   */
  appTotals(nowSec: number, windowSec: number): { code: number; packets: number; bytes: number }[] {
    const r = windowSec <= this.recentApps.length ? this.recentApps : this.minutes;
    const end = Math.floor(nowSec / r.period);
    const periods = Math.min(r.length, Math.ceil(windowSec / r.period));
    const packets = new Float64Array(APPS);
    const bytes = new Float64Array(APPS);
    for (let t = end - periods + 1; t <= end; t++) {
      const slot = r.slotOf(t);
      if (slot < 0) continue;
      for (let a = 0; a < this.#appColumns; a++) {
        packets[a] += r.appPackets[slot * APPS + a];
        bytes[a] += r.appBytes[slot * APPS + a];
      }
    }
    const out = [];
    for (let a = 0; a < this.#appColumns; a++) {
      if (packets[a] > 0) {
        out.push({ code: this.appCodes[a], packets: packets[a], bytes: bytes[a] });
      }
    }
    return out.sort((x, y) => y.bytes - x.bytes);
  }

  /** Adds one packet of `len` bytes at `ts` in L4Class `l4` and service index `service`. */
  addPacket(ts: number, len: number, l4: number, service: number): void {
    this.addTraffic(ts, 1, len, l4, service);
  }

  /** Adds `packets` packets of `bytes` bytes in all at `ts`, in L4Class `l4` and `service`. */
  addTraffic(ts: number, packets: number, bytes: number, l4: number, service: number): void {
    const second = Math.floor(ts);
    // Most calls are for the second before: the slots found then still hold.
    if (second !== this.#second) {
      this.#secondSlot = this.seconds.slotFor(ts);
      this.#minuteSlot = this.minutes.slotFor(ts);
      // A late second (-1: older than a ring) is not remembered.
      this.#second = this.#secondSlot < 0 || this.#minuteSlot < 0 ? -1 : second;
    }
    if (this.#secondSlot >= 0) this.seconds.addAt(this.#secondSlot, packets, bytes, l4, service);
    if (this.#minuteSlot >= 0) this.minutes.addAt(this.#minuteSlot, packets, bytes, l4, service);
  }

  /** The second the cached slots belong to (-1: none), and the slots. */
  #second = -1;
  #secondSlot = -1;
  #minuteSlot = -1;

  /** Adds `count` packets dropped by the kernel or the interface at `ts`. */
  addDrops(ts: number, count: number): void {
    const s = this.seconds.slotFor(ts);
    if (s >= 0) this.seconds.dropped[s] += count;
    const m = this.minutes.slotFor(ts);
    if (m >= 0) this.minutes.dropped[m] += count;
  }

  /**
   * Points of the last `count` periods of `ring` ("seconds" or "minutes") up to and including
   * the one holding `nowSec`, oldest first; periods with no traffic are zero.
   */
  points(ring: "seconds" | "minutes", nowSec: number, count: number): TrafficPoint[] {
    const r = this[ring];
    const end = Math.floor(nowSec / r.period);
    const out: TrafficPoint[] = [];
    for (let t = end - Math.min(count, r.length) + 1; t <= end; t++) {
      const slot = r.slotOf(t);
      out.push({
        t: t * r.period,
        packets: slot < 0 ? 0 : r.packets[slot],
        bytes: slot < 0 ? 0 : r.bytes[slot],
        dropped: slot < 0 ? 0 : r.dropped[slot],
      });
    }
    return out;
  }

  /**
   * Totals over the last `windowSec` seconds up to `nowSec` (whole seconds, the current one
   * included), by protocol and service. Windows up to an hour come from the per-second ring,
   * longer ones from the per-minute ring (whole minutes, up to 24 h).
   */
  totals(nowSec: number, windowSec: number): TrafficTotals {
    const r = windowSec <= this.seconds.length ? this.seconds : this.minutes;
    const end = Math.floor(nowSec / r.period);
    const periods = Math.min(r.length, Math.ceil(windowSec / r.period));
    let packets = 0;
    let bytes = 0;
    let dropped = 0;
    const l4P = new Float64Array(L4_CLASSES);
    const l4B = new Float64Array(L4_CLASSES);
    const svcP = new Float64Array(SERVICES);
    const svcB = new Float64Array(SERVICES);
    for (let t = end - periods + 1; t <= end; t++) {
      const slot = r.slotOf(t);
      if (slot < 0) continue;
      packets += r.packets[slot];
      bytes += r.bytes[slot];
      dropped += r.dropped[slot];
      for (let c = 0; c < L4_CLASSES; c++) {
        l4P[c] += r.l4Packets[slot * L4_CLASSES + c];
        l4B[c] += r.l4Bytes[slot * L4_CLASSES + c];
      }
      for (let v = 0; v < SERVICES; v++) {
        svcP[v] += r.servicePackets[slot * SERVICES + v];
        svcB[v] += r.serviceBytes[slot * SERVICES + v];
      }
    }
    const protocols: TrafficTotals["protocols"] = {};
    L4_CLASS_NAMES.forEach((name, c) => protocols[name] = { packets: l4P[c], bytes: l4B[c] });
    const services: TrafficTotals["services"] = [];
    for (let v = 0; v < SERVICES; v++) {
      if (svcP[v] > 0) {
        services.push({
          service: v === 0 ? "other" : SERVICE_NAMES[v],
          packets: svcP[v],
          bytes: svcB[v],
        });
      }
    }
    services.sort((a, b) => b.bytes - a.bytes || a.service.localeCompare(b.service));
    return { packets, bytes, dropped, protocols, services };
  }
}
