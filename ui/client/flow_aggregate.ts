// Sums a page of flow records by app and by host: the app mix while the API's /protocols has
// no apps for a range, and the talkers of one app, service or protocol (which /talkers cannot
// filter by). Both are labelled on the page as drawn from the biggest flows, not every flow.

import type { FlowRecord, HostStats } from "../../server/wire.ts";

/** One app's share. `rate`: current bytes/s of its active flows (rate_now). */
export interface AppShare {
  name: string;
  /** What the name is: an app label, the port's service (no app known), or neither. */
  kind: "app" | "service" | "other";
  bytes: number;
  packets: number;
  flows: number;
  rate: number;
}

/**
 * A flow's current rate, bytes/s over the last 3 finished seconds, as of `lastFinished` (the
 * server's last finished second, 0 when unknown): its rate_now, or 0 once its last packet is
 * older than those seconds (known without waiting for a newer record) or it has ended.
 */
export function rateNowOf(f: FlowRecord, lastFinished: number): number {
  if (!f.active) return 0;
  if (lastFinished > 0 && Math.floor(f.last_ts) < lastFinished - 2) return 0;
  return f.rate_now;
}

/** What a flow's app is called in the mix: its app, else its port's service, else "other". */
export function appOf(f: FlowRecord): { name: string; kind: AppShare["kind"] } {
  if (f.app) return { name: f.app, kind: "app" };
  return f.service ? { name: f.service, kind: "service" } : { name: "other", kind: "other" };
}

/** Apps of `flows`, busiest first by `by` (bytes, or current rate as of `lastFinished`). */
export function appsOf(
  flows: readonly FlowRecord[],
  by: "bytes" | "rate",
  lastFinished = 0,
): AppShare[] {
  const apps = new Map<string, AppShare>();
  for (const f of flows) {
    const { name, kind } = appOf(f);
    const a = apps.get(name) ?? { name, kind, bytes: 0, packets: 0, flows: 0, rate: 0 };
    a.bytes += f.bytes_c2s + f.bytes_s2c;
    a.packets += f.packets_c2s + f.packets_s2c;
    a.flows++;
    a.rate += rateNowOf(f, lastFinished);
    apps.set(name, a);
  }
  const key = (a: AppShare) => by === "rate" ? a.rate : a.bytes;
  return [...apps.values()]
    .filter((a) => key(a) > 0)
    .sort((x, y) => key(y) - key(x) || x.name.localeCompare(y.name));
}

/**
 * Hosts of `flows` as talkers: what each end sent and received in them, and their current
 * rate (a flow's rate_now counts for both of its ends, as it does for the API's talkers).
 * Aggregate records (client 0.0.0.0 or ::, a flood) count for their server only.
 */
export function hostsOf(flows: readonly FlowRecord[], lastFinished = 0): HostStats[] {
  const hosts = new Map<string, HostStats>();
  const add = (
    address: string,
    sent: number,
    received: number,
    ps: number,
    pr: number,
    r: number,
  ) => {
    const h = hosts.get(address) ?? {
      address,
      bytes_sent: 0,
      bytes_received: 0,
      packets_sent: 0,
      packets_received: 0,
      rate_sent: 0,
      rate_received: 0,
      name: null,
      country: null,
      asn: null,
    };
    h.bytes_sent += sent;
    h.bytes_received += received;
    h.packets_sent += ps;
    h.packets_received += pr;
    // rate_now is both ways together: split by the flow's byte shares, as sent and received.
    const total = sent + received;
    h.rate_sent += total > 0 ? r * sent / total : 0;
    h.rate_received += total > 0 ? r * received / total : 0;
    hosts.set(address, h);
  };
  for (const f of flows) {
    const r = rateNowOf(f, lastFinished);
    if (!f.aggregate) add(f.src_ip, f.bytes_c2s, f.bytes_s2c, f.packets_c2s, f.packets_s2c, r);
    const server = hosts.get(f.dst_ip);
    add(f.dst_ip, f.bytes_s2c, f.bytes_c2s, f.packets_s2c, f.packets_c2s, r);
    if (!server && f.server_name) hosts.get(f.dst_ip)!.name = f.server_name;
  }
  return [...hosts.values()];
}
