// The HTTP API end to end: `netwatch serve` replays a real capture; every route is checked against
// `netwatch report --flows` on the same file, plus filters, sort, paging, CSV and errors (access
// control: api_auth_test.ts).

import assert from "node:assert/strict";
import parsePrometheus from "parse-prometheus-text-format";
import { runCli } from "./helpers/cli.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { startServer } from "./helpers/serve.ts";
import { assertErrorShape, getJson } from "./helpers/api_json.ts";
import { checkExposition, parseCsv, type PromFamily } from "./helpers/api_formats.ts";
import type { FlowRecord, FlowsResponse } from "../server/wire.ts";

/** Mixed traffic: TCP, UDP (DNS, mDNS, DHCP), ICMP and ICMPv6, IPv4 and IPv6; 51 flows. */
const FILE = corpusPath("real/ndpi_iphone.pcap");

interface Report {
  packets: number;
  bytes: number;
  ipv4: number;
  ipv6: number;
  flows: FlowRecord[];
}

async function report(): Promise<Report> {
  const out = await runCli(["report", FILE, "--flows", "--format", "json"]);
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

/**
 * Flows keyed by their unordered endpoints (ICMP: addresses and type/code), with what each end
 * sent. The report ends idle flows in file time and the replay runs in seconds, so one server
 * flow may be several report records: sums per key agree either way.
 */
function byConversation(flows: FlowRecord[]): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const f of flows) {
    const ports = f.proto === "tcp" || f.proto === "udp";
    const a = ports ? `${f.src_ip}|${f.src_port}` : f.src_ip;
    const b = ports ? `${f.dst_ip}|${f.dst_port}` : f.dst_ip;
    const extra = ports ? "" : `|${Math.min(f.src_port, f.dst_port)}`;
    const key = `${f.proto}|${[a, b].sort().join("|")}${extra}|${f.vlan}`;
    const sums = out.get(key) ?? {};
    sums[`${a} packets`] = (sums[`${a} packets`] ?? 0) + f.packets_c2s;
    sums[`${a} bytes`] = (sums[`${a} bytes`] ?? 0) + f.bytes_c2s;
    sums[`${b} packets`] = (sums[`${b} packets`] ?? 0) + f.packets_s2c;
    sums[`${b} bytes`] = (sums[`${b} bytes`] ?? 0) + f.bytes_s2c;
    out.set(key, sums);
  }
  return out;
}

function bytesOf(f: FlowRecord): number {
  return f.bytes_c2s + f.bytes_s2c;
}

function packetsOf(f: FlowRecord): number {
  return f.packets_c2s + f.packets_s2c;
}

/** Value a flow is sorted by, as the API documents each key. */
const SORT_VALUE: Record<string, (f: FlowRecord) => number> = {
  bytes: bytesOf,
  packets: packetsOf,
  duration: (f) => f.last_ts - f.first_ts,
  first: (f) => f.first_ts,
  last: (f) => f.last_ts,
  rate: (f) => bytesOf(f) / Math.max(1, f.last_ts - f.first_ts),
};

// Response bodies are checked field by field against the wire types' documentation.
Deno.test("serve answers every route over a replayed capture as report --flows sees it", async (t) => {
  const expected = await report();
  const server = await startServer(FILE);
  const api = `${server.base}/api/v1`;
  try {
    const all: FlowsResponse = (await getJson(`${api}/flows?limit=1000`)).body;
    const flows = all.flows;

    await t.step("health reports the replay and its end", async () => {
      const { status, body } = await getJson(`${api}/health`);
      assert.equal(status, 200);
      assert.equal(body.status, "ok");
      assert.deepEqual(body.capture, {
        state: "ended",
        source: "file",
        interface: null,
        file: FILE,
        error: null,
      });
    });

    await t.step("stats count the packets and bytes the report counts", async () => {
      const { status, body } = await getJson(`${api}/stats`);
      assert.equal(status, 200);
      assert.equal(body.capture.packets, expected.packets);
      assert.equal(body.capture.bytes, expected.bytes);
      assert.equal(body.capture.name, FILE);
      assert.equal(body.flows.active + body.flows.history, flows.length);
      assert.ok(body.memory.rss_bytes > 0);
      assert.equal(typeof body.uptime_sec, "number");
    });

    await t.step("flows hold the report's conversations, packet for packet", () => {
      assert.equal(all.total, flows.length);
      assert.equal(all.next_cursor, null);
      assert.deepEqual(byConversation(flows), byConversation(expected.flows));
      assert.equal(new Set(flows.map((f) => f.id)).size, flows.length);
    });

    await t.step("each filter returns exactly the flows it describes", async () => {
      const busiest = Object.entries(
        flows.reduce<Record<string, number>>((n, f) => {
          n[f.src_ip] = (n[f.src_ip] ?? 0) + 1;
          n[f.dst_ip] = (n[f.dst_ip] ?? 0) + 1;
          return n;
        }, {}),
      ).sort((a, b) => b[1] - a[1])[0][0];
      const server443 = flows.find((f) => f.dst_port === 443)!;
      const someState = flows[0].state;
      const midBytes = [...flows].map(bytesOf).sort((a, b) => a - b)[flows.length >> 1];
      const v4 = (ip: string) => !ip.includes(":");
      const inNet = (ip: string) => v4(ip) && ip.startsWith("192.168.");
      const cases: [string, (f: FlowRecord) => boolean][] = [
        ["proto=udp", (f) => f.proto === "udp"],
        ["proto=6", (f) => f.proto === "tcp"],
        ["proto=icmpv6", (f) => f.proto === "icmpv6"],
        [
          "port=443",
          (f) =>
            f.proto !== "icmp" && f.proto !== "icmpv6" &&
            (f.src_port === 443 || f.dst_port === 443),
        ],
        [`host=${busiest}`, (f) => f.src_ip === busiest || f.dst_ip === busiest],
        ["host=192.168.0.0/16", (f) => inNet(f.src_ip) || inNet(f.dst_ip)],
        [`src=${busiest}`, (f) => f.src_ip === busiest],
        [`dst=${server443.dst_ip}`, (f) => f.dst_ip === server443.dst_ip],
        ["service=dns", (f) => f.service === "dns"],
        ["service=https", (f) => f.service === "https"],
        [`state=${someState}`, (f) => f.state === someState],
        ["active=true", (f) => f.active],
        ["active=false", (f) => !f.active],
        [`min_bytes=${midBytes}`, (f) => bytesOf(f) >= midBytes],
        ["vlan=5", (f) => f.vlan === 5],
        ["q=mdns", (f) => f.service?.includes("mdns") === true],
        [
          "proto=tcp&port=443&service=https",
          (f) =>
            f.proto === "tcp" && (f.src_port === 443 || f.dst_port === 443) &&
            f.service === "https",
        ],
        [`from=${Math.ceil(Math.max(...flows.map((f) => f.last_ts))) + 10}`, () => false],
        [`to=${Math.floor(Math.min(...flows.map((f) => f.first_ts))) - 10}`, () => false],
        [`from=${Math.floor(Math.min(...flows.map((f) => f.first_ts)))}`, () => true],
      ];
      for (const [query, keep] of cases) {
        const want = flows.filter(keep).map((f) => f.id).sort((a, b) => a - b);
        const { status, body } = await getJson(`${api}/flows?limit=1000&${query}`);
        assert.equal(status, 200, `${query}: ${JSON.stringify(body)}`);
        const got = body.flows.map((f: FlowRecord) => f.id).sort((a: number, b: number) => a - b);
        assert.deepEqual(got, want, query);
        assert.equal(body.total, want.length, query);
      }
      // The filters used must select something, or the checks above prove little.
      assert.ok(flows.some((f) => f.proto === "udp") && flows.some((f) => f.service === "dns"));
    });

    await t.step("every sort key orders by its value, ties by id", async () => {
      for (const sort of Object.keys(SORT_VALUE)) {
        for (const order of ["asc", "desc"]) {
          const { body } = await getJson(`${api}/flows?limit=1000&sort=${sort}&order=${order}`);
          const sign = order === "asc" ? 1 : -1;
          const want = [...flows].sort((a, b) =>
            sign * (SORT_VALUE[sort](a) - SORT_VALUE[sort](b)) || a.id - b.id
          ).map((f) => f.id);
          // first/last are rounded to microseconds in the record: compare the values instead.
          const values = body.flows.map((f: FlowRecord) => SORT_VALUE[sort](f));
          for (let i = 1; i < values.length; i++) {
            assert.ok(sign * (values[i] - values[i - 1]) >= -1e-6, `${sort} ${order} at ${i}`);
          }
          if (sort === "bytes" || sort === "packets") {
            assert.deepEqual(body.flows.map((f: FlowRecord) => f.id), want, `${sort} ${order}`);
          }
        }
      }
    });

    await t.step("offset pages and cursor pages both walk the whole sorted list once", async () => {
      const full = (await getJson(`${api}/flows?limit=1000&sort=bytes`)).body.flows
        .map((f: FlowRecord) => f.id);
      const byOffset: number[] = [];
      for (let offset = 0; offset < full.length; offset += 7) {
        const { body } = await getJson(`${api}/flows?sort=bytes&limit=7&offset=${offset}`);
        assert.equal(body.total, full.length);
        byOffset.push(...body.flows.map((f: FlowRecord) => f.id));
      }
      assert.deepEqual(byOffset, full);
      const byCursor: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `sort=bytes&limit=7${
          cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""
        }`;
        const { body } = await getJson(`${api}/flows?${query}`);
        byCursor.push(...body.flows.map((f: FlowRecord) => f.id));
        cursor = body.next_cursor;
        pages++;
      } while (cursor && pages < 100);
      assert.deepEqual(byCursor, full);
      assert.equal(pages, Math.ceil(full.length / 7));
      const first = await getJson(`${api}/flows`);
      assert.equal(first.body.flows.length, Math.min(50, full.length), "default limit is 50");
    });

    await t.step("CSV has the JSON fields as columns and the same rows", async () => {
      const json = (await getJson(`${api}/flows?sort=bytes&limit=20`)).body.flows as FlowRecord[];
      for (
        const init of [{ url: `${api}/flows?sort=bytes&limit=20&format=csv` }, {
          url: `${api}/flows?sort=bytes&limit=20`,
          headers: { Accept: "text/csv" },
        }]
      ) {
        const response = await fetch(init.url, { headers: init.headers });
        assert.equal(response.status, 200);
        assert.match(response.headers.get("content-type") ?? "", /^text\/csv/);
        const [header, ...rows] = parseCsv(await response.text());
        assert.deepEqual(header, Object.keys(json[0]));
        assert.equal(rows.length, json.length);
        rows.forEach((row, i) => {
          const record = json[i] as unknown as Record<string, unknown>;
          header.forEach((key, k) => {
            const value = record[key];
            assert.equal(row[k], value === null ? "" : String(value), `row ${i} ${key}`);
          });
        });
      }
    });

    await t.step("flows/{id} returns each flow; unknown ids are 404, bad ones 400", async () => {
      for (const flow of flows.slice(0, 10)) {
        const { status, body } = await getJson(`${api}/flows/${flow.id}`);
        assert.equal(status, 200);
        // rate_now counts finished seconds: a second that ends between the two requests moves
        // it (a flow whose bytes were all in the current second shows 0, then its rate).
        const { rate_now, ...rest } = body as FlowRecord;
        const { rate_now: _listed, ...expected } = flow;
        assert.deepEqual(rest, expected);
        assert.ok(Number.isFinite(rate_now) && rate_now >= 0, `rate_now ${rate_now}`);
      }
      const missing = Math.max(...flows.map((f) => f.id)) + 1000;
      const notFound = await getJson(`${api}/flows/${missing}`);
      assert.equal(notFound.status, 404);
      assertErrorShape(notFound.body, "not_found");
      const bad = await getJson(`${api}/flows/abc`);
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /\bid\b/);
    });

    await t.step("series add up to the replay's bytes and packets, by protocol too", async () => {
      const now = Math.floor(Date.now() / 1000);
      const range = `from=${now - 600}&to=${now + 5}`;
      const bps = (await getJson(`${api}/series?metric=bps&${range}`)).body;
      assert.equal(bps.unit, "bit/s");
      assert.equal(bps.step, 1);
      assert.equal(bps.t.length, bps.series[0].values.length);
      const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
      assert.equal(Math.round(sum(bps.series[0].values) * bps.step / 8), expected.bytes);
      const pps = (await getJson(`${api}/series?metric=pps&step=10&${range}`)).body;
      assert.equal(pps.step, 10);
      assert.equal(Math.round(sum(pps.series[0].values) * 10), expected.packets);
      const proto = (await getJson(`${api}/series?metric=bps&breakdown=protocol&${range}`)).body;
      const byName = Object.fromEntries(
        proto.series.map((
          s: { name: string; values: number[] },
        ) => [s.name, Math.round(sum(s.values) / 8)]),
      );
      const flowBytes = (keep: (f: FlowRecord) => boolean) =>
        expected.flows.filter(keep).reduce((n, f) => n + bytesOf(f), 0);
      assert.equal(byName.tcp, flowBytes((f) => f.proto === "tcp"));
      assert.equal(byName.udp, flowBytes((f) => f.proto === "udp"));
      assert.equal(byName.icmp, flowBytes((f) => f.proto === "icmp" || f.proto === "icmpv6"));
      assert.equal(
        byName.tcp + byName.udp + byName.icmp + byName.other + byName.non_flow,
        expected.bytes,
      );
      const service = (await getJson(`${api}/series?breakdown=service&${range}`)).body;
      const dns = service.series.find((s: { name: string }) => s.name === "dns");
      assert.equal(Math.round(sum(dns.values) / 8), flowBytes((f) => f.service === "dns"));
    });

    await t.step("series from a second not finished yet: no points, not an error", async () => {
      // The server's last finished second (the wall clock's, past an old capture's end).
      const last: number = (await getJson(`${api}/series`)).body.to;
      const open = await getJson(`${api}/series?from=${last + 5}`);
      assert.equal(open.status, 200, JSON.stringify(open.body));
      assert.deepEqual([open.body.t, open.body.series], [[], []]);
      // A closed range that ends before it starts is still the client's error, and so is an
      // open range starting far beyond the server's clock.
      assert.equal((await getJson(`${api}/series?from=${last + 5}&to=${last}`)).status, 400);
      assert.equal((await getJson(`${api}/series?from=${last + 3600}`)).status, 400);
    });

    await t.step("talkers rank hosts by the bytes their flows sent and received", async () => {
      // Every IP packet of this file is in a flow, so host totals follow from the flows.
      const flowPackets = expected.flows.reduce((n, f) => n + packetsOf(f), 0);
      assert.equal(flowPackets, expected.ipv4 + expected.ipv6);
      const sent = new Map<string, number>();
      const received = new Map<string, number>();
      const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
      for (const f of expected.flows) {
        add(sent, f.src_ip, f.bytes_c2s);
        add(received, f.dst_ip, f.bytes_c2s);
        add(sent, f.dst_ip, f.bytes_s2c);
        add(received, f.src_ip, f.bytes_s2c);
      }
      const hosts = new Set([...sent.keys(), ...received.keys()]);
      for (const by of ["bytes", "sent", "received"] as const) {
        const value = (h: string) =>
          by === "sent"
            ? sent.get(h) ?? 0
            : by === "received"
            ? received.get(h) ?? 0
            : (sent.get(h) ?? 0) + (received.get(h) ?? 0);
        const { status, body } = await getJson(`${api}/talkers?window=5m&by=${by}&limit=5`);
        assert.equal(status, 200);
        assert.equal(body.talkers.length, 5);
        const want = [...hosts].map(value).sort((a, b) => b - a).slice(0, 5);
        const got = body.talkers.map((h: { address: string }) => value(h.address));
        assert.deepEqual(got, want, by);
        for (const h of body.talkers) {
          assert.equal(h.bytes_sent, sent.get(h.address) ?? 0);
          assert.equal(h.bytes_received, received.get(h.address) ?? 0);
        }
      }
      const packets = (await getJson(`${api}/talkers?window=5m&by=packets&limit=1000`)).body
        .talkers;
      assert.equal(packets.length, hosts.size);
    });

    await t.step("protocols break the window's traffic down by class and service", async () => {
      const { status, body } = await getJson(`${api}/protocols?window=15m`);
      assert.equal(status, 200);
      assert.equal(body.seconds, 900);
      assert.equal(body.packets, expected.packets);
      assert.equal(body.bytes, expected.bytes);
      const sum = (xs: { bytes: number }[]) => xs.reduce((n, x) => n + x.bytes, 0);
      assert.equal(sum(body.protocols), expected.bytes);
      const https = body.services.find((s: { name: string }) => s.name === "https");
      assert.equal(
        https.bytes,
        expected.flows.filter((f) => f.service === "https").reduce((n, f) => n + bytesOf(f), 0),
      );
    });

    await t.step(
      "a day's range is answered from what there is, before history has a minute",
      async () => {
        // Memory holds everything since the start; the disk (this server writes history) has
        // at most what memory has. Either answers: the dashboard's 24 h view on a fresh install.
        const now = Math.floor(Date.now() / 1000);
        const range = `from=${now - 86400}&to=${now}`;
        const protocols = await getJson(`${api}/protocols?${range}`);
        assert.equal(protocols.status, 200, JSON.stringify(protocols.body));
        assert.equal(protocols.body.packets, expected.packets);
        assert.equal(protocols.body.bytes, expected.bytes);
        const talkers = await getJson(`${api}/talkers?${range}&limit=1000`);
        assert.equal(talkers.status, 200, JSON.stringify(talkers.body));
        const sent = talkers.body.talkers.reduce(
          (n: number, h: { bytes_sent: number }) => n + h.bytes_sent,
          0,
        );
        assert.ok(sent > 0 && sent <= expected.bytes, `${sent} of ${expected.bytes}`);
      },
    );

    await t.step(
      "interfaces lists what libpcap sees and names no capture for a replay",
      async () => {
        const { status, body } = await getJson(`${api}/interfaces`);
        assert.equal(status, 200);
        assert.equal(body.capturing, null);
        assert.ok(body.interfaces.some((i: { name: string }) => i.name === "lo"));
      },
    );

    await t.step("metrics parse as Prometheus text and agree with the report", async () => {
      const response = await fetch(`${server.base}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      checkExposition(text);
      const families = parsePrometheus(text) as PromFamily[];
      const value = (name: string, labels: Record<string, string> = {}) => {
        const family = families.find((f) => f.name === name);
        assert.ok(family, `missing ${name}`);
        const sample = family.metrics.find((m) =>
          Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)
        );
        assert.ok(sample && "value" in sample, `missing ${name} ${JSON.stringify(labels)}`);
        return Number(sample.value);
      };
      assert.equal(value("netwatch_packets_total"), expected.packets);
      assert.equal(value("netwatch_bytes_total"), expected.bytes);
      assert.equal(value("netwatch_flows_active"), flows.filter((f) => f.active).length);
      assert.equal(value("netwatch_flows_started_total"), flows.length);
      const protocolBytes = ["tcp", "udp", "icmp", "other", "non_flow"]
        .map((p) => value("netwatch_protocol_bytes_total", { protocol: p }));
      assert.equal(protocolBytes.reduce((a, b) => a + b, 0), expected.bytes);
      assert.equal(value("netwatch_capture_dropped_packets_total", { reason: "kernel" }), 0);
      assert.ok(value("process_resident_memory_bytes") > 1e6);
      for (const family of families) {
        if (family.type === "COUNTER") assert.match(family.name, /_total$/, family.name);
        assert.doesNotMatch(family.name, /_(kb|mb|ms|percent)$/);
      }
    });

    await t.step("the OpenAPI document lists every route and each one answers", async () => {
      const { status, body: doc } = await getJson(`${api}/openapi.json`);
      assert.equal(status, 200);
      assert.equal(doc.openapi, "3.1.0");
      const paths = Object.keys(doc.paths).sort();
      // The API's routes (the dashboard adds its own, checked by the same loop below).
      for (
        const path of [
          "/",
          "/api/v1/flows",
          "/api/v1/flows/{id}",
          "/api/v1/health",
          "/api/v1/interfaces",
          "/api/v1/protocols",
          "/api/v1/series",
          "/api/v1/stats",
          "/api/v1/stream",
          "/api/v1/talkers",
          "/login",
          "/metrics",
        ]
      ) assert.ok(paths.includes(path), `${path} is missing from openapi.json`);
      for (const path of paths) {
        for (const method of Object.keys(doc.paths[path])) {
          const url = server.base +
            path.replace("{id}", String(flows[0].id)).replace(/\{\w+\}/g, "missing");
          const response = await fetch(url, {
            method: method.toUpperCase(),
            ...(method === "post"
              ? { body: new URLSearchParams({ token: "x" }), redirect: "manual" }
              : {}),
          });
          await response.body?.cancel();
          const documented = Object.keys(doc.paths[path][method].responses).map(Number);
          assert.ok(documented.includes(response.status), `${method} ${path}: ${response.status}`);
        }
      }
      // Every query parameter the flows route documents is one the issue names.
      const flowParams = doc.paths["/api/v1/flows"].get.parameters.map((p: { name: string }) =>
        p.name
      );
      for (
        const name of [
          "host",
          "src",
          "dst",
          "port",
          "proto",
          "vlan",
          "service",
          "state",
          "active",
          "min_bytes",
          "from",
          "to",
          "q",
          "sort",
          "order",
          "limit",
          "offset",
          "cursor",
          "format",
        ]
      ) {
        assert.ok(flowParams.includes(name), name);
      }
    });

    await t.step("bad parameters are 400s naming the parameter and what it accepts", async () => {
      const cases: [string, RegExp][] = [
        ["flows?sort=size", /sort.*"size".*bytes, packets, duration, first, last, rate/],
        ["flows?order=up", /order.*asc, desc/],
        ["flows?limit=0", /limit.*1 to 1000/],
        ["flows?limit=1001", /limit.*1 to 1000/],
        ["flows?limit=abc", /limit/],
        ["flows?offset=-1", /offset/],
        ["flows?offset=1e9", /offset/],
        ["flows?offset=9007199254740993", /offset.*expected a whole number from 0 to 100000/],
        ["flows?from=10&to=5", /from "10": expected at most to \(5\)/],
        ["flows?name=", /name.*expected a server name/],
        ["flows?app=", /app.*expected an app label/],
        ["flows?port=65536", /port.*0 to 65535/],
        ["flows?host=10.0.0.0%2F33", /host.*CIDR/],
        ["flows?src=not-an-ip", /src.*address/],
        ["flows?proto=bogus", /proto/],
        ["flows?service=nosuch", /service.*https/],
        ["flows?state=XX", /state.*SF/],
        ["flows?active=yes", /active.*true, false/],
        ["flows?min_bytes=-5", /min_bytes/],
        ["flows?from=yesterday", /from.*epoch seconds/],
        ["flows?cursor=%21%21", /cursor/],
        ["flows?format=xml", /format.*json, csv/],
        ["flows?limit=5&limit=6", /limit.*once/],
        ["flows?colour=red", /Unknown parameter "colour".*host/],
        ["series?metric=bytes", /metric.*bps, pps/],
        ["series?breakdown=host", /breakdown.*protocol, service/],
        ["series?step=0", /step/],
        ["series?from=10&to=5", /from/],
        ["series?from=0&step=1", /step.*at least/],
        ["talkers?window=2m", /window.*now, 1m, 5m, 15m, 60m/],
        ["talkers?by=flows", /by.*bytes, packets, sent, received/],
        ["talkers?limit=0", /limit/],
        ["protocols?window=1h", /window/],
        ["talkers?window=5m&from=1", /window "5m": expected either window or from\/to/],
        ["protocols?window=5m&to=1", /window "5m": expected either window or from\/to/],
        ["health?verbose=1", /Unknown parameter "verbose"/],
      ];
      for (const [path, message] of cases) {
        const { status, body } = await getJson(`${api}/${path}`);
        assert.equal(status, 400, `${path}: ${JSON.stringify(body)}`);
        assertErrorShape(body, "bad_parameter");
        assert.match(body.error.message, message, path);
      }
      const cursor = (await getJson(`${api}/flows?sort=bytes&limit=2`)).body.next_cursor;
      const mismatch = await getJson(`${api}/flows?sort=packets&cursor=${cursor}`);
      assert.equal(mismatch.status, 400);
      assert.match(mismatch.body.error.message, /cursor/);
    });

    await t.step(
      "unknown routes are 404, known ones asked with another method 405, odd requests never 500",
      async () => {
        for (
          const [method, path] of [
            ["GET", "/api/v1/nope"],
            ["GET", "/api/v2/flows"],
            ["POST", "/api/v1/nope"],
            ["GET", "/favicon.ico"],
          ]
        ) {
          const { status, body } = await getJson(server.base + path, { method });
          assert.equal(status, 404, `${method} ${path}`);
          assertErrorShape(body, "not_found");
        }
        // A route that exists, asked with another method: 405 saying which one it takes.
        for (
          const [method, path] of [
            ["POST", "/api/v1/flows"],
            ["DELETE", "/api/v1/flows/1"],
            ["PUT", "/api/v1/hosts/10.0.0.1"],
            ["OPTIONS", "/api/v1/stats"],
          ]
        ) {
          const response = await fetch(server.base + path, { method });
          assert.equal(response.status, 405, `${method} ${path}`);
          assert.equal(response.headers.get("allow"), "GET, HEAD");
          const body = await response.json();
          assertErrorShape(body, "method_not_allowed");
          assert.match(body.error.message, /use GET/);
        }
        const long = await getJson(`${api}/flows?q=${"a".repeat(10_000)}`);
        assert.equal(long.status, 414);
        assertErrorShape(long.body);
        const odd = [
          "flows?q=%E0%A4%A",
          "flows?q=%00",
          "flows?host=%FF%FE",
          "flows?limit=%20",
          "flows?port=1.5",
          "flows?limit=99999999999999999999",
          "flows?from=1e400",
          "series?to=99999999999.999",
          "flows?q=" + encodeURIComponent("☃".repeat(50)),
        ];
        for (const path of odd) {
          const { status, body } = await getJson(`${api}/${path}`);
          assert.ok(status === 200 || status === 400, `${path}: ${status}`);
          if (status === 400) assertErrorShape(body, "bad_parameter");
        }
        const stream = await getJson(`${api}/stream`);
        assert.equal(stream.status, 426);
        assertErrorShape(stream.body, "upgrade_required");
      },
    );

    await t.step("the index page names the API", async () => {
      const response = await fetch(`${server.base}/`);
      assert.equal(response.status, 200);
      const html = await response.text();
      assert.match(html, /\/api\/v1\/openapi\.json/);
    });
  } finally {
    assert.equal(await server.stop(), 0);
  }
});
