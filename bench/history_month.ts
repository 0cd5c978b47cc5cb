// Generated history, time-compressed: minutes of totals, host rows and ended flows, consistent
// with each other, from a seed. Used by the history bench and by the retention tests.
//
// "Time-compressed": every minute of the range gets its totals and host rows, as the engine
// would send them, but only `keepFlowsPerMinute` of its flow records. A month at 2,000 new flows/s is
// 5.2 billion flows, more than any cap keeps; the bench writes the flows of the last hours at
// the full rate instead (see history_bench.ts).

import { protoName } from "../flows/flow_record.ts";
import { SERVICE_NAMES, serviceIndex } from "../flows/services.ts";
import { hostMinutes } from "../history/host_minutes.ts";
import type { HostMinute, MinuteTotals, Share, StoredFlow } from "../history/types.ts";
import { mulberry32 } from "../tests/helpers/random.ts";

/** What to generate. */
export interface MonthOptions {
  /** First minute (epoch seconds; rounded down to the minute). */
  start: number;
  minutes: number;
  /** Flows per minute: the traffic the totals and host rows are made from. */
  flowsPerMinute: number;
  /** Flow records handed over per minute, the first of them (default all). */
  keepFlowsPerMinute?: number;
  /** Host rows kept per minute (top N; the rest go to "other"). */
  topN: number;
  /** Distinct remote addresses traffic is drawn from. */
  remotes?: number;
  seed?: number;
}

/** One generated minute, as the engine would hand it over. */
export interface GeneratedMinute {
  totals: MinuteTotals;
  hosts: HostMinute[];
  flows: StoredFlow[];
}

const SERVER_PORTS = [443, 443, 443, 80, 53, 22, 123, 993, 5432, 8080, 3478, 1194];
const APPS = ["TLS.YouTube", "TLS.Google", "DNS", "HTTP", "QUIC.Netflix", "SSH", null];

/** Minutes of generated traffic, one at a time. */
export function* generateMonth(o: MonthOptions): Generator<GeneratedMinute> {
  const rand = mulberry32(o.seed ?? 1);
  const remotes = o.remotes ?? 5000;
  const start = Math.floor(o.start / 60) * 60;
  let nextId = 1;
  // Zipf-like popularity: a few remotes carry most of the bytes.
  const remote = () => Math.floor(remotes * rand() ** 3);
  const remoteAddress = (i: number) =>
    i % 7 === 0 ? `2001:db8::${(i + 1).toString(16)}` : `198.51.${(i >> 8) & 255}.${i & 255}`;
  for (let m = 0; m < o.minutes; m++) {
    const minute = start + m * 60;
    const flows: StoredFlow[] = [];
    const protocols: Record<string, Share> = {};
    const services: Record<string, Share> = {};
    const apps: Record<string, Share> = {};
    const add = (table: Record<string, Share>, name: string, packets: number, bytes: number) => {
      const share = table[name] ??= { packets: 0, bytes: 0 };
      share.packets += packets;
      share.bytes += bytes;
    };
    const perHost = new Map<string, [number, number, number, number]>();
    const account = (address: string, bs: number, br: number, ps: number, pr: number) => {
      const h = perHost.get(address) ?? [0, 0, 0, 0];
      h[0] += bs;
      h[1] += br;
      h[2] += ps;
      h[3] += pr;
      perHost.set(address, h);
    };
    let packets = 0;
    let bytes = 0;
    for (let f = 0; f < o.flowsPerMinute; f++) {
      const r = remote();
      const dport = SERVER_PORTS[Math.floor(rand() * SERVER_PORTS.length)];
      const proto = dport === 53 || dport === 123 || dport === 3478 || dport === 1194
        ? 17
        : rand() < 0.03
        ? 1
        : 6;
      const icmp = proto === 1;
      const pc = 1 + Math.floor(rand() * 40);
      const ps = Math.floor(pc * rand() * 2);
      const bc = pc * (60 + Math.floor(rand() * 200));
      const bs = ps * (60 + Math.floor(rand() * 1400));
      const last = minute + rand() * 59.999;
      // Durations as on a real link: most flows last seconds, one in twenty minutes, one in
      // a hundred hours (a long session, which every range ending before it must still find).
      const kind = rand();
      const duration = kind < 0.94 ? rand() ** 2 * 30 : kind < 0.99 ? rand() * 600 : rand() * 7200;
      const first = last - duration;
      const service = icmp ? "" : SERVICE_NAMES[serviceIndex(proto, dport, 40000)];
      const app = icmp ? null : APPS[(r + dport) % APPS.length];
      const flow: StoredFlow = {
        id: nextId++,
        active: false,
        proto: protoName(proto),
        src_ip: `10.0.${(r >> 6) & 255}.${1 + (r & 63)}`,
        src_port: icmp ? 8 : 32768 + Math.floor(rand() * 28000),
        dst_ip: remoteAddress(r),
        dst_port: icmp ? 0 : dport,
        vlan: r % 11 === 0 ? 10 : null,
        packets_c2s: pc,
        bytes_c2s: bc,
        packets_s2c: ps,
        bytes_s2c: bs,
        first_ts: Math.round(first * 1e6) / 1e6,
        last_ts: Math.round(last * 1e6) / 1e6,
        state: proto === 6 ? (ps > 0 ? "SF" : "S0") : ps > 0 ? "SF" : "S0",
        service: service === "" ? null : service,
        no_ports: false,
        aggregate: false,
        rate_now: 0,
        server_name: app?.startsWith("TLS") ? `www.${app.slice(4).toLowerCase()}.com` : null,
        app,
        tunnel: null,
        end_reason: "idle",
      };
      flows.push(flow);
      packets += pc + ps;
      bytes += bc + bs;
      add(protocols, proto === 6 ? "tcp" : proto === 17 ? "udp" : "icmp", pc + ps, bc + bs);
      add(services, flow.service ?? "other", pc + ps, bc + bs);
      if (app) add(apps, app, pc + ps, bc + bs);
      account(flow.src_ip, bc, bs, pc, ps);
      account(flow.dst_ip, bs, bc, ps, pc);
    }
    const addresses = [...perHost.keys()];
    const column = (k: number) => addresses.map((a) => perHost.get(a)![k]);
    const hosts = hostMinutes(minute, {
      count: addresses.length,
      bytesSent: column(0),
      bytesReceived: column(1),
      packetsSent: column(2),
      packetsReceived: column(3),
      address: (i) => addresses[i],
      describe: (a) =>
        a.startsWith("10.")
          ? { name: `host-${a.split(".")[3]}.lan` }
          : { country: "NL", asn: 64500 },
    }, o.topN);
    const totals: MinuteTotals = {
      minute,
      packets,
      bytes,
      dropped: m % 97 === 0 ? 3 : 0,
      protocols,
      services,
      apps,
    };
    const keep = o.keepFlowsPerMinute ?? flows.length;
    yield { totals, hosts, flows: keep < flows.length ? flows.slice(0, keep) : flows };
  }
}
