// IPFIX transports on loopback: UDP template refresh, TCP sessions (templates first, sequence
// from 0) and reconnection after the collector closes the connection.

import assert from "node:assert/strict";
import dgram from "node:dgram";
import { decodeIpfix } from "../tests/helpers/ipfix_decode.ts";
import { ExportDestination } from "./export_destination.ts";
import { IpfixTcpSink, IpfixUdpSink, TEMPLATE_REFRESH_MESSAGES } from "./ipfix_exporter.ts";
import type { ExportFlow } from "./types.ts";

function flow(id: number): ExportFlow {
  return {
    id,
    active: false,
    proto: "tcp",
    src_ip: "10.1.0.1",
    src_port: 30000 + id,
    dst_ip: "10.1.0.2",
    dst_port: 443,
    vlan: null,
    packets_c2s: 3,
    bytes_c2s: 300,
    packets_s2c: 2,
    bytes_s2c: 2000,
    first_ts: 1700000000,
    last_ts: 1700000001,
    state: "SF",
    service: "https",
    no_ports: false,
    end_reason: "end",
    tcp_flags_c2s: 0x1b,
    tcp_flags_s2c: 0x1b,
    ip_version: 4,
  };
}

/** Set id of the first set of a message: 2 for templates, >= 256 for data. */
function firstSetId(message: Uint8Array): number {
  return new DataView(message.buffer, message.byteOffset).getUint16(16);
}

async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("IpfixUdpSink sends templates first and again every few dozen messages", async () => {
  const received: Uint8Array[] = [];
  const collector = dgram.createSocket("udp4");
  collector.on("message", (m) => received.push(new Uint8Array(m)));
  await new Promise<void>((resolve) => collector.bind(0, "127.0.0.1", resolve));
  const sink = new IpfixUdpSink({
    host: "127.0.0.1",
    port: collector.address().port,
    observationDomainId: 3,
    biflow: false,
    pen: 0,
  });
  const batches = TEMPLATE_REFRESH_MESSAGES + 2;
  try {
    await sink.open();
    for (let i = 0; i < batches; i++) await sink.send([flow(i)]);
    await until("every message", () => received.length === batches + 2);
  } finally {
    await sink.close();
    await new Promise<void>((resolve) => collector.close(() => resolve()));
  }
  const templateAt = received.map((m, i) => (firstSetId(m) === 2 ? i : -1)).filter((i) => i >= 0);
  assert.deepEqual(templateAt, [0, TEMPLATE_REFRESH_MESSAGES + 1]);
  const decoded = await decodeIpfix(received);
  // Sequence numbers count data records: the options record with each template message, two
  // records per flow.
  const refreshed = decoded[TEMPLATE_REFRESH_MESSAGES + 1].header["cflow.sequence"];
  assert.equal(refreshed, String(1 + 2 * TEMPLATE_REFRESH_MESSAGES));
  assert.equal(decoded.at(-1)?.header["cflow.sequence"], String(2 + 2 * (batches - 1)));
});

/** A TCP collector that keeps each connection's bytes, split into IPFIX messages. */
function tcpCollector() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const sessions: { messages: Uint8Array[]; conn: Deno.Conn; ended: boolean }[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      const session = { messages: [] as Uint8Array[], conn, ended: false };
      sessions.push(session);
      (async () => {
        let pending = new Uint8Array(0);
        for await (const chunk of conn.readable) {
          const joined = new Uint8Array(pending.length + chunk.length);
          joined.set(pending);
          joined.set(chunk, pending.length);
          pending = joined;
          while (pending.length >= 4) {
            const length = (pending[2] << 8) | pending[3];
            if (pending.length < length) break;
            session.messages.push(pending.slice(0, length));
            pending = pending.slice(length);
          }
        }
      })().catch(() => {}).finally(() => (session.ended = true));
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    sessions,
    async close() {
      listener.close();
      await accepting;
      for (const s of sessions) {
        try {
          s.conn.close();
        } catch {
          // closed already
        }
      }
    },
  };
}

Deno.test("IpfixTcpSink reconnects with backoff and starts each session afresh", async () => {
  const collector = tcpCollector();
  const destination = new ExportDestination(
    "ipfix+tcp://test",
    "ipfix+tcp",
    new IpfixTcpSink({
      host: "127.0.0.1",
      port: collector.port,
      observationDomainId: 9,
      biflow: false,
      pen: 0,
    }),
    { queueCapacity: 100, batchSize: 10, flushMs: 10, minBackoffMs: 10, maxBackoffMs: 50 },
  );
  try {
    destination.start();
    for (let i = 1; i <= 10; i++) destination.push(flow(i));
    await until("the first session's data", () => collector.sessions[0]?.messages.length === 2);
    // The collector ends the session; the exporter sees it and closes its side too.
    await collector.sessions[0].conn.closeWrite();
    await until("the exporter to let go", () => collector.sessions[0].ended);
    for (let i = 11; i <= 20; i++) destination.push(flow(i));
    await until("a second session's data", () => collector.sessions[1]?.messages.length === 2);
    const status = destination.status();
    assert.equal(status.sent, 20);
    assert.equal(status.dropped, 0);
    assert.equal(status.state, "ok");
  } finally {
    await destination.close();
    await collector.close();
  }
  assert.equal(collector.sessions.length, 2);
  for (const [n, session] of collector.sessions.entries()) {
    assert.equal(session.messages.length, 2, "templates, then one data message");
    const [templates, data] = await decodeIpfix(session.messages);
    assert.deepEqual(templates.templates, ["256", "257", "258", "259"], "templates come first");
    assert.equal(templates.header["cflow.od_id"], "9");
    assert.equal(templates.header["cflow.sequence"], "0", "each session numbers from 0");
    assert.equal(data.header["cflow.sequence"], "1", "after the options record");
    assert.equal(data.records.length, 20, "ten flows, two records each");
    assert.equal(data.records[0].fields["cflow.srcport"], String(30001 + 10 * n));
  }
});
