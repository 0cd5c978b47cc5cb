// One host in detail: its names and place, traffic over each window, rate per minute over the
// hour, and the peers and apps of its flows (active and ended within the hour).

import type { FlowEngine } from "./flow_engine.ts";
import { slotAddress } from "./flow_record.ts";
import { F_BYTES_AB, F_BYTES_BA, type FlowStore, H_APP } from "./flow_store.ts";
import { hostMinuteSeries, hostStats } from "./host_views.ts";
import type { HostWindow } from "./host_views.ts";
import type { LearnedName } from "./identity/passive_dns.ts";
import { CompiledFilter } from "./query_filter.ts";
import { SERVICE_NAMES } from "./services.ts";

/** Traffic of a host over one window. */
export interface HostWindowTraffic {
  window: "1m" | "5m" | "15m" | "60m";
  bytes_sent: number;
  bytes_received: number;
  packets_sent: number;
  packets_received: number;
}

/** A peer (the other end of the host's flows), or an app, with what it carried. */
export interface HostShare {
  name: string;
  bytes: number;
  flows: number;
}

/** GET /api/v1/hosts/{address}. */
export interface HostDetail {
  address: string;
  /** Names learned for the address, best first, with where each came from. */
  names: Omit<LearnedName, "address">[];
  place: { country: string | null; asn: number | null; as_org: string | null; city: string | null };
  /** Bytes per second sent and received over the last 3 finished seconds. */
  rate: { sent: number; received: number };
  windows: HostWindowTraffic[];
  /** Bytes per minute over the last hour, oldest first (t: start of each minute). */
  minutes: { t: number[]; sent: number[]; received: number[] };
  /** The busiest peers of its flows in memory (address, and name when known). */
  peers: (HostShare & { address: string })[];
  /** The busiest apps of its flows in memory ("TLS.YouTube", or the port's service). */
  apps: HostShare[];
}

const WINDOWS: HostWindowTraffic["window"][] = ["1m", "5m", "15m", "60m"];
const MINUTES: Record<HostWindowTraffic["window"], HostWindow> = {
  "1m": 1,
  "5m": 5,
  "15m": 15,
  "60m": 60,
};
/** Peers and apps listed. */
const TOP = 10;

/** The detail of `address` at `nowSec`, or null when the engine has never seen it. */
export function hostDetail(engine: FlowEngine, address: string, nowSec: number): HostDetail | null {
  const hosts = engine.hosts;
  const now = hostStats(hosts, address, nowSec, 1);
  if (!now) return null;
  const identity = engine.identity;
  const place = identity?.placeOf(address);
  const windows = WINDOWS.map((window) => {
    const h = hostStats(hosts, address, nowSec, MINUTES[window])!;
    return {
      window,
      bytes_sent: h.bytes_sent,
      bytes_received: h.bytes_received,
      packets_sent: h.packets_sent,
      packets_received: h.packets_received,
    };
  });
  // Its flows in memory: one pass over active flows, single-packet flows and the history.
  const filter = new CompiledFilter({ address });
  const peers = new Map<string, HostShare & { address: string }>();
  const apps = new Map<string, HostShare>();
  for (const source of engine.sources) {
    const sel = new Int32Array(source.bound);
    const n = filter.select(source.store, sel, source.slots(sel), source.active);
    const store = source.store;
    const half = store.stride >> 1;
    for (let k = 0; k < n; k++) {
      const s = sel[k];
      const bytes = store.f64[s * half + F_BYTES_AB] + store.f64[s * half + F_BYTES_BA];
      const a = slotAddress(store, s, 0);
      const other = a === address ? slotAddress(store, s, 1) : a;
      const peer = peers.get(other) ?? { address: other, name: other, bytes: 0, flows: 0 };
      peer.bytes += bytes;
      peer.flows++;
      peers.set(other, peer);
      const app = identity?.appLabel(store.u16[s * store.stride * 2 + H_APP]) ??
        serviceOf(store, s);
      const share = apps.get(app) ?? { name: app, bytes: 0, flows: 0 };
      share.bytes += bytes;
      share.flows++;
      apps.set(app, share);
    }
  }
  const top = <T extends HostShare>(m: Map<string, T>) =>
    [...m.values()].sort((x, y) => y.bytes - x.bytes || x.name.localeCompare(y.name)).slice(
      0,
      TOP,
    );
  const topPeers = top(peers).map((p) => ({
    ...p,
    name: identity?.hostInfoOf(p.address, nowSec).name ?? p.address,
  }));
  return {
    address,
    names: (identity?.namesOf(address, nowSec) ?? []).map(({ address: _, ...n }) => n),
    place: {
      country: place?.country ?? null,
      asn: place?.asn ?? null,
      as_org: place?.asOrg ?? null,
      city: place?.city ?? null,
    },
    rate: { sent: now.rate_sent, received: now.rate_received },
    windows,
    minutes: hostMinuteSeries(hosts, address, nowSec),
    peers: topPeers,
    apps: top(apps),
  };
}

/** The port's service of flow `s`, or "other". */
function serviceOf(store: FlowStore, s: number): string {
  return SERVICE_NAMES[store.service(s)] || "other";
}
