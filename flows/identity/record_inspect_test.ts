// Tests of inspection through the engine: entries taken only for payload, retired when the pool
// is full, and name references that go back when flows end, so a long run recycles names.

import assert from "node:assert/strict";
import type { PacketBatch } from "../../capture/packet_batch.ts";
import { FlowEngine } from "../flow_engine.ts";
import { H_INSPECT, INSPECT_DONE } from "../flow_store.ts";
import { batchOf, type TestPacket } from "../../tests/helpers/packets.ts";
import { buildClientHello, toRecords } from "../../tests/helpers/tls_hello.ts";
import { Identity } from "./identity.ts";

/** A packet and the payload it carries (TCP: at sequence number `seq`). */
type PayloadPacket = TestPacket & { payload?: Uint8Array; seq?: number };

/** A batch of `packets` whose payloads sit in batch.raw, as a capture reader leaves them. */
function payloadBatch(packets: PayloadPacket[]): PacketBatch {
  const batch = batchOf(packets);
  const raw = new Uint8Array(packets.reduce((n, p) => n + (p.payload?.length ?? 0), 0));
  let at = 0;
  packets.forEach((p, i) => {
    batch.payloadOffset[i] = at;
    batch.payloadLength[i] = p.payload?.length ?? 0;
    batch.tcpSeq[i] = p.seq ?? 0;
    if (p.payload) raw.set(p.payload, at);
    at += p.payload?.length ?? 0;
  });
  batch.raw = raw;
  batch.rawStart = 0;
  return batch;
}

/** A DNS query (id 1, recursion desired) for `name`, type A. */
function dnsQuery(name: string): Uint8Array {
  const labels = name.split(".").flatMap((l) => [l.length, ...new TextEncoder().encode(l)]);
  return new Uint8Array([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
}

/** The H_INSPECT field of the active flow whose client port is `sport`. */
function inspectField(engine: FlowEngine, sport: number): number {
  const store = engine.table.store;
  for (let s = 0; s < engine.table.slotsUsed; s++) {
    if (!engine.table.inUse(s)) continue;
    if ((store.ports(s) >>> 16) === sport || (store.ports(s) & 0xffff) === sport) {
      return store.u16[s * store.stride * 2 + H_INSPECT];
    }
  }
  throw new Error(`no flow from port ${sport}`);
}

Deno.test("a flow takes an inspector entry at its first payload packet, not before", () => {
  const identity = new Identity({ entries: 8 });
  const engine = new FlowEngine({ identity });
  const up = { src: "10.0.0.1", dst: "10.0.0.2", proto: 17, sport: 4000, dport: 53 };
  engine.add(payloadBatch([{ ts: 1, ...up }])); // no payload: nothing to read
  assert.equal(inspectField(engine, 4000), 0);
  assert.equal(identity.inspector.entries.owner.filter((o) => o >= 0).length, 0);
  engine.add(payloadBatch([{ ts: 2, ...up, payload: dnsQuery("www.example.org") }]));
  const field = inspectField(engine, 4000);
  assert.ok(field > 0 && field !== INSPECT_DONE, `entry + 1, got ${field}`);
  assert.equal(engine.activeRecords()[0].server_name, "www.example.org");
  // The answer ends the DNS flow's inspection: the entry goes back at once.
  const answer = dnsQuery("www.example.org");
  answer[2] = 0x81;
  engine.add(payloadBatch([{
    ts: 3,
    src: "10.0.0.2",
    dst: "10.0.0.1",
    proto: 17,
    sport: 53,
    dport: 4000,
    payload: answer,
  }]));
  assert.equal(inspectField(engine, 4000), INSPECT_DONE);
  assert.equal(identity.inspector.entries.owner.filter((o) => o >= 0).length, 0);
  assert.equal(engine.activeRecords()[0].server_name, "www.example.org");
});

Deno.test("when every entry is held, the flow that took one longest ago is retired", () => {
  const identity = new Identity({ entries: 4 });
  const engine = new FlowEngine({ identity });
  const hello = (n: number) =>
    toRecords(buildClientHello({ sni: `site${n}.example`, paddingBefore: 2000 }));
  const segment = (ts: number, n: number, part: 0 | 1): PayloadPacket => {
    const stream = hello(n);
    return {
      ts,
      src: "10.0.0.1",
      dst: "10.0.0.2",
      proto: 6,
      sport: 5000 + n,
      dport: 443,
      tcp: 0x18,
      seq: 1000 + part * 1000,
      payload: part === 0 ? stream.subarray(0, 1000) : stream.subarray(1000),
    };
  };
  // Six connections send the first half of their hello: the first two lose their entries.
  engine.add(payloadBatch([0, 1, 2, 3, 4, 5].map((n) => segment(1, n, 0))));
  assert.equal(identity.inspector.retired, 2);
  assert.equal(inspectField(engine, 5000), INSPECT_DONE);
  assert.equal(inspectField(engine, 5001), INSPECT_DONE);
  assert.notEqual(inspectField(engine, 5002), INSPECT_DONE);
  engine.add(payloadBatch([0, 5].map((n) => segment(2, n, 1))));
  const names = new Map(engine.activeRecords().map((f) => [f.src_port, f.server_name]));
  assert.equal(names.get(5000), null, "retired: its hello's end is not read");
  assert.equal(names.get(5005), "site5.example");
  assert.equal(identity.inspector.pool.used, 3, "flows 2-4 still hold their buffers");
  engine.endAll();
  assert.equal(identity.inspector.pool.used, 0, "ended flows give their buffers back");
  assert.equal(identity.inspector.entries.owner.filter((o) => o >= 0).length, 0);
});

Deno.test("a long run with many named flows recycles names: none is held after its flow", () => {
  // Room for 64 names; 3,000 flows each ask for a different one. A reference kept past its
  // flow's end would fill the table, and intern() would count drops.
  const identity = new Identity({ names: 64 });
  const engine = new FlowEngine({
    identity,
    maxActiveFlows: 16,
    maxHistoryRecords: 8,
    udpTimeoutSec: 5,
  });
  for (let n = 0; n < 3000; n++) {
    const ts = 1000 + n / 10;
    engine.add(payloadBatch([{
      ts,
      src: "10.0.0.1",
      dst: "10.0.0.53",
      proto: 17,
      sport: 10000 + n,
      dport: 53,
      payload: dnsQuery(`host${n}.example`),
    }]));
    if (n % 10 === 9) engine.tick(ts);
  }
  assert.equal(identity.names.drops, 0);
  assert.ok(engine.evicted + engine.endedIdle > 2900, "flows ended by eviction and timeout");
  const active = engine.activeRecords();
  assert.equal(active.length, 16);
  for (const f of active) assert.equal(f.server_name, `host${f.src_port - 10000}.example`);
  const ended = engine.endedRecords();
  assert.equal(ended.length, 8);
  for (const f of ended) assert.equal(f.server_name, `host${f.src_port - 10000}.example`);
  // An active record holds one reference, and its inspector entry one (a query waits for its
  // answer); a history record holds one. Nothing else does.
  let held = 0;
  for (const [id] of identity.names.entries()) held += identity.names.refsOf(id);
  assert.equal(held, 16 * 2 + 8);
  engine.endAll();
  engine.history.clear();
  held = 0;
  for (const [id] of identity.names.entries()) held += identity.names.refsOf(id);
  assert.equal(held, 0, "every reference went back");
});

Deno.test("a request to a proxy names the flow, never the proxy's address", () => {
  const identity = new Identity({ entries: 8 });
  const engine = new FlowEngine({ identity });
  const text = (s: string) => new TextEncoder().encode(s);
  const exchange = (sport: number, request: string, ts: number): PayloadPacket[] => {
    const up = { src: "10.0.0.1", dst: "10.0.0.8", proto: 6, sport, dport: 3128, tcp: 0x18 };
    const down = { src: "10.0.0.8", dst: "10.0.0.1", proto: 6, sport: 3128, dport: sport };
    return [
      { ts, ...up, tcp: 0x02, seq: 99 },
      { ts, ...up, seq: 100, payload: text(request) },
      { ts, ...down, tcp: 0x18, seq: 500, payload: text("HTTP/1.1 200 OK\r\n\r\n") },
    ];
  };
  engine.add(payloadBatch([
    ...exchange(4001, "CONNECT apache.org:443 HTTP/1.1\r\nHost: apache.org:443\r\n\r\n", 1),
    ...exchange(4002, "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", 2),
  ]));
  const names = new Map(engine.activeRecords().map((f) => [f.src_port, f.server_name]));
  assert.equal(names.get(4001), "apache.org");
  assert.equal(names.get(4002), "example.com");
  assert.deepEqual(identity.namesOf("10.0.0.8", 3), [], "the proxy is not the sites it relays");
  // The same server answering an origin-form request for its own site is named by it.
  engine.add(payloadBatch(exchange(4003, "GET / HTTP/1.1\r\nHost: proxy.lan\r\n\r\n", 3)));
  assert.equal(identity.hostInfoOf("10.0.0.8", 4).name, "proxy.lan");
});
