// A pipeline worker's writes to the history store: finished minutes and ended flows.
//
// Ended flows are copied into a typed-array ring as they end (the end listener runs on the
// packet path and allocates nothing) and turned into records once a second. Each minute, once
// the engine's clock has left it, goes out as totals by protocol and service plus the top hosts
// of the minute exactly and the rest as "other" (history/host_minutes.ts). Several shards each
// write their part of a minute: the store adds them up.

import { ExportHandoff } from "../export/export_handoff.ts";
import type { FlowEndListener, FlowEngine } from "../flows/flow_engine.ts";
import type { FlowLabels } from "../flows/flow_record.ts";
import { hostsOfMinute } from "../flows/host_views.ts";
import { SERVICE_NAMES } from "../flows/services.ts";
import { APPS, L4_CLASS_NAMES } from "../flows/time_series.ts";
import type { HistoryWriter } from "../history/history_writer.ts";
import { hostMinutes } from "../history/host_minutes.ts";
import type { MinuteTotals, Share } from "../history/types.ts";

/** Ended flows waiting for the once-a-second hand-over, at most (then counted as dropped). */
const RING = 65_536;
/**
 * Seconds after a minute ends on the clock before it is written: packets stamped just before
 * the boundary may still be on their way from the kernel.
 */
const LATE_SEC = 2;
/** Hosts kept exactly per minute; the rest are summed as "other". */
export const HOSTS_PER_MINUTE = 100;

/** What a worker writes to history. */
export class HistoryFeed {
  readonly #writer: HistoryWriter;
  readonly #ring = new ExportHandoff(RING);
  /** The next minute (epoch seconds) to write; -1 before any traffic. */
  #next = -1;

  constructor(writer: HistoryWriter) {
    this.#writer = writer;
  }

  /** Names and apps of ended flows are written as text, through the engine's identity. */
  setLabels(labels: FlowLabels | undefined): void {
    this.#ring.labels = labels;
  }

  /** Flows lost because the ring filled between two hand-overs. */
  get dropped(): number {
    return this.#ring.dropped + this.#writer.stats.dropped;
  }

  /** The engine's end listener for history (chain it with export's). */
  listener(): FlowEndListener {
    const ring = this.#ring;
    return function toHistory(store, slot, reason) {
      ring.push(store, slot, reason);
    };
  }

  /**
   * Once a second: hands ended flows over and writes every minute the clock has left. The
   * clock is the later of the engine's (its latest packet) and `nowSec` less LATE_SEC, so a
   * minute is written when it is over even if no packet came after it (an idle link): a
   * kill -9 then loses only the minute in progress.
   */
  tick(engine: FlowEngine, nowSec = engine.now): void {
    this.#ring.drain((flow) => this.#writer.flow(flow));
    const learned = engine.identity?.passiveDns.drainLearned(1000) ?? [];
    if (learned.length > 0) {
      this.#writer.names(learned.map((n) => ({
        address: n.address,
        name: n.name,
        source: n.source,
        first_seen: n.seen,
        last_seen: n.seen,
      })));
    }
    if (engine.now === 0) return;
    const current = Math.floor(Math.max(engine.now, nowSec - LATE_SEC) / 60) * 60;
    // Minutes the rings still hold (the host buckets keep an hour). The first tick starts an
    // hour back: a replay at full speed may be minutes (or its whole file) in by then, and
    // minutes without traffic are skipped, so a live start writes nothing older.
    this.#next = Math.max(this.#next, current - 59 * 60);
    for (; this.#next < current; this.#next += 60) this.#write(engine, this.#next);
  }

  /** At shutdown: the flows ended so far and the current, unfinished minute; then drains. */
  async finish(engine: FlowEngine, nowSec = engine.now): Promise<void> {
    this.tick(engine, nowSec);
    if (this.#next >= 0 && engine.now > 0) this.#write(engine, this.#next);
    this.#next = -1;
    await this.#writer.drain();
  }

  #write(engine: FlowEngine, minute: number): void {
    const ring = engine.series.minutes;
    const slot = ring.slotOf(minute / 60);
    if (slot < 0) return;
    const l4 = L4_CLASS_NAMES.length;
    const services = SERVICE_NAMES.length;
    const totals: MinuteTotals = {
      minute,
      packets: ring.packets[slot],
      bytes: ring.bytes[slot],
      dropped: ring.dropped[slot],
      protocols: shares(L4_CLASS_NAMES, ring.l4Packets, ring.l4Bytes, slot * l4),
      services: shares(
        SERVICE_NAMES.map((name, i) => i === 0 ? "other" : name),
        ring.servicePackets,
        ring.serviceBytes,
        slot * services,
      ),
      apps: appsOfMinute(engine, slot),
    };
    const hosts = engine.hosts;
    const m = hostsOfMinute(hosts, minute / 60);
    const rows = hostMinutes(minute, {
      count: m.count,
      bytesSent: m.bytesSent,
      bytesReceived: m.bytesReceived,
      packetsSent: m.packetsSent,
      packetsReceived: m.packetsReceived,
      address: (i) => hosts.address(m.slots[i]),
      // Names (passive DNS) and places (GeoIP) as known when the minute ended: history's
      // talkers show them as the live ones do.
      describe: (address) => engine.identity?.hostInfoOf(address, minute + 60),
    }, HOSTS_PER_MINUTE);
    this.#writer.minute(totals, rows);
  }
}

/** The minute's traffic by app label ("unknown" when nothing in the payload said). */
function appsOfMinute(engine: FlowEngine, slot: number): Record<string, Share> {
  const ring = engine.series.minutes;
  const out: Record<string, Share> = {};
  const codes = engine.series.appCodes;
  for (let a = 0; a < APPS; a++) {
    const packets = ring.appPackets[slot * APPS + a];
    if (packets === 0) continue;
    const name = (a === 0 ? null : engine.identity?.appLabel(codes[a])) ?? "unknown";
    const share = out[name] ?? (out[name] = { packets: 0, bytes: 0 });
    share.packets += packets;
    share.bytes += ring.appBytes[slot * APPS + a];
  }
  return out;
}

/** The non-zero shares of `names` from a ring slot's packet and byte columns at `base`. */
function shares(
  names: readonly string[],
  packets: Float64Array,
  bytes: Float64Array,
  base: number,
): Record<string, Share> {
  const out: Record<string, Share> = {};
  names.forEach((name, i) => {
    if (packets[base + i] > 0 || bytes[base + i] > 0) {
      out[name] = { packets: packets[base + i], bytes: bytes[base + i] };
    }
  });
  return out;
}
