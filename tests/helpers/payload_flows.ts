// Drives FlowInspector over a capture for the name tests: tshark gives each packet's innermost
// addresses, ports, TCP sequence and L4 payload (until the decoders carry payload offsets),
// plus its own names (SNI, QUIC SNI, HTTP Host, DNS query) as the truth to compare with.

import { PROTOCOL_NAMES } from "../../capture/payload/app_protocol.ts";
import { appLabel } from "../../flows/identity/app_rules.ts";
import { FlowInspector } from "../../flows/identity/flow_inspector.ts";
import { ENDPOINT_FIELDS, tsharkFields } from "../../scripts/tshark_fields.ts";
import { canonicalIp } from "./canonical_ip.ts";
import { hex } from "./tls_hello.ts";

/** One flow as the harness saw it. */
export interface HarnessFlow {
  /** "TCP|UDP a:port b:port", endpoints sorted, as flowKey() builds it. */
  key: string;
  /** The inspector's name ("" when none) and label. */
  name: string;
  app: string;
  /** Names tshark saw in the flow, by kind, in order (lower-cased). */
  tshark: { sni: string[]; quic: string[]; host: string[]; dns: string[] };
}

const FIELDS = [
  "frame.protocols",
  ...ENDPOINT_FIELDS,
  "tcp.seq_raw",
  "tcp.flags",
  "tcp.payload",
  "udp.payload",
  "frame.time_epoch",
  "tls.handshake.type",
  "tls.handshake.extensions_server_name",
  "http.host",
  "http.request",
  "dns.qry.name",
  "dns.flags.response",
  "quic.long.packet_type",
  "gquic.tag.sni",
];

/** The flow key for an endpoint pair: protocol, then both "address:port" sorted. */
export function flowKey(proto: string, a: string, b: string): string {
  return `${proto} ${[canonical(a), canonical(b)].sort().join(" ")}`;
}

/** "[v6]:port" with the address in full (tshark and nDPI compress zero groups differently). */
function canonical(endpoint: string): string {
  const m = /^\[(.*)\]:(\d+)$/.exec(endpoint);
  return m ? `[${canonicalIp(m[1])}]:${m[2]}` : endpoint;
}

/** Runs tshark on `path` and the inspector over its flows; throws when tshark is missing or fails. */
export async function inspectCapture(path: string): Promise<Map<string, HarnessFlow>> {
  const lines = await tsharkFields(path, FIELDS, { occurrence: "a", aggregator: "|" });
  const inspector = new FlowInspector();
  type Flow = HarnessFlow & { entry: number; client: string; retired: boolean };
  const flows = new Map<string, Flow>();
  const byOwner: Flow[] = [];
  for (const line of lines) {
    const f = line.split("\t");
    // Every occurrence, "|"-joined: the innermost header's is the last.
    const all = (name: string) => (f[FIELDS.indexOf(name)] ?? "").split("|").filter((v) => v);
    const get = (name: string) => all(name).at(-1) ?? "";
    const layers = get("frame.protocols").split(":");
    const l4 = Math.max(layers.lastIndexOf("tcp"), layers.lastIndexOf("udp"));
    if (l4 < 0 || layers.slice(0, l4).some((p) => p.startsWith("icmp"))) continue;
    const proto = layers[l4] === "tcp" ? "TCP" : "UDP";
    const v6 = layers.lastIndexOf("ipv6") > layers.lastIndexOf("ip");
    const src = v6 ? `[${get("ipv6.src")}]` : get("ip.src");
    const dst = v6 ? `[${get("ipv6.dst")}]` : get("ip.dst");
    const sport = proto === "TCP" ? get("tcp.srcport") : get("udp.srcport");
    const dport = proto === "TCP" ? get("tcp.dstport") : get("udp.dstport");
    if (!sport || !src) continue;
    const from = `${src}:${sport}`;
    const key = flowKey(proto, from, `${dst}:${dport}`);
    let flow = flows.get(key);
    if (!flow) {
      flow = {
        key,
        name: "",
        app: "",
        tshark: { sni: [], quic: [], host: [], dns: [] },
        // An entry per flow, taken as the engine takes them (the oldest goes when all are held).
        entry: inspector.acquire(byOwner.length),
        client: from,
        retired: false,
      };
      if (inspector.retiredOwner >= 0) byOwner[inspector.retiredOwner].retired = true;
      byOwner.push(flow);
      flows.set(key, flow);
    }
    collectTruth(flow, get, all);
    if (flow.retired || !inspector.wantsMore(flow.entry)) continue;
    const payload = hex(proto === "TCP" ? get("tcp.payload") : get("udp.payload"));
    inspector.inspect(
      flow.entry,
      proto === "TCP" ? 6 : 17,
      from === flow.client,
      Number(sport),
      Number(dport),
      Number(get("tcp.seq_raw")) >>> 0,
      Number(get("tcp.flags")) & 0xff,
      payload,
      0,
      payload.length,
      Math.floor(Number(get("frame.time_epoch"))),
    );
    flow.name = inspector.nameTextOf(flow.entry);
    flow.app = appLabelOf(inspector, flow.entry);
  }
  return new Map(
    [...flows].map(([k, v]) => [k, { key: v.key, name: v.name, app: v.app, tshark: v.tshark }]),
  );
}

/** Adds the names tshark decoded in one packet to the flow's truth. */
function collectTruth(
  flow: HarnessFlow,
  get: (name: string) => string,
  all: (name: string) => string[],
): void {
  const add = (list: string[], value: string) => {
    const v = value.toLowerCase();
    if (v && !list.includes(v)) list.push(v);
  };
  const sni = get("tls.handshake.extensions_server_name");
  if (sni && get("frame.protocols").includes("quic")) add(flow.tshark.quic, sni);
  else if (sni) add(flow.tshark.sni, sni);
  add(flow.tshark.quic, get("gquic.tag.sni"));
  if (get("http.request") === "1" || get("http.request") === "True") {
    add(flow.tshark.host, get("http.host"));
  } else if (get("http.host")) add(flow.tshark.host, get("http.host"));
  if (
    get("dns.qry.name") && get("dns.flags.response") !== "1" && get("dns.flags.response") !== "True"
  ) {
    for (const name of all("dns.qry.name")) add(flow.tshark.dns, name);
  }
}

/** The app label of inspector entry `entry`, as Identity makes it: "TLS.YouTube", "DNS", "". */
export function appLabelOf(inspector: FlowInspector, entry: number): string {
  const protocol = PROTOCOL_NAMES[inspector.protocolOf(entry)] ?? "";
  return appLabel(protocol, inspector.matcher.appName(inspector.appOf(entry)));
}
