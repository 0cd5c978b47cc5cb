// exportFlow() and the engine glue: each end reason, flags per direction, and the shutdown flush.

import assert from "node:assert/strict";
import { FlowEngine } from "../flows/flow_engine.ts";
import { batchOf } from "../tests/helpers/packets.ts";
import { TcpFlag } from "../flows/tcp_state.ts";
import { exportListener, flushActiveFlows } from "./attach.ts";
import { ExportDestination } from "./export_destination.ts";
import { Exporters } from "./exporters.ts";
import type { ExportFlow, ExportSink } from "./types.ts";

const idleSink: ExportSink = {
  open: () => Promise.resolve(),
  send: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/** Exporters with one destination that is never started: its queue holds what was pushed. */
function collecting(): { exporters: Exporters; queued: () => ExportFlow[] } {
  const destination = new ExportDestination("test://", "ipfix", idleSink, {
    queueCapacity: 100,
    batchSize: 100,
    flushMs: 1000,
    minBackoffMs: 1,
    maxBackoffMs: 1,
  });
  const exporters = new Exporters([destination]);
  return {
    exporters,
    queued: () => {
      exporters.drainHandoff();
      return destination.queue.peek(100);
    },
  };
}

const { Syn, Ack, Fin, Psh } = TcpFlag;
const client = "10.0.0.1";
const server = "10.0.0.2";

Deno.test("exportFlow() names each end reason and keeps TCP flags per direction", () => {
  const { exporters, queued } = collecting();
  const engine = new FlowEngine({
    onFlowEnd: exportListener(exporters),
    tcpClosedTimeoutSec: 5,
    udpTimeoutSec: 5,
    activeTimeoutSec: 100,
    maxActiveFlows: 3,
  });
  const t = 1700000000;
  engine.add(batchOf([
    // A TCP connection that closes (FIN both ways): idle after that is "end".
    { ts: t, src: client, dst: server, sport: 40000, dport: 80, tcp: Syn, len: 60 },
    { ts: t + 0.1, src: server, dst: client, sport: 80, dport: 40000, tcp: Syn | Ack, len: 60 },
    { ts: t + 0.2, src: client, dst: server, sport: 40000, dport: 80, tcp: Ack | Psh, len: 500 },
    { ts: t + 0.3, src: server, dst: client, sport: 80, dport: 40000, tcp: Fin | Ack, len: 52 },
    { ts: t + 0.4, src: client, dst: server, sport: 40000, dport: 80, tcp: Fin | Ack, len: 52 },
    // A UDP exchange that just goes quiet: "idle". On VLAN 7.
    { ts: t, src: "2001:db8::1", dst: "2001:db8::2", proto: 17, sport: 5000, dport: 53, vlan: 7 },
  ]));
  engine.tick(t + 10);
  const [tcp, udp] = queued();
  assert.equal(tcp.end_reason, "end");
  assert.equal(tcp.src_ip, client);
  assert.equal(tcp.dst_port, 80);
  assert.equal(tcp.tcp_flags_c2s, Syn | Ack | Psh | Fin);
  assert.equal(tcp.tcp_flags_s2c, Syn | Ack | Fin);
  assert.equal(tcp.packets_c2s, 3);
  assert.equal(tcp.bytes_c2s, 612);
  assert.equal(tcp.ip_version, 4);
  assert.equal(tcp.active, false);
  assert.equal(udp.end_reason, "idle");
  assert.equal(udp.ip_version, 6);
  assert.equal(udp.vlan, 7);
  assert.equal(udp.tcp_flags_c2s, 0);

  // Long flows end at the active timeout and go on; a full table evicts the least recent.
  engine.add(batchOf([
    { ts: t + 20, src: client, dst: server, proto: 17, sport: 1, dport: 2 },
    { ts: t + 21, src: client, dst: server, proto: 17, sport: 3, dport: 4 },
    { ts: t + 22, src: client, dst: server, proto: 17, sport: 5, dport: 6 },
    { ts: t + 23, src: client, dst: server, proto: 17, sport: 7, dport: 8 }, // evicts 1 -> 2
  ]));
  assert.equal(queued().at(-1)?.end_reason, "evicted");
  assert.equal(queued().at(-1)?.src_port, 1);
  const before = queued().length;
  engine.add(batchOf([
    { ts: t + 122, src: client, dst: server, proto: 17, sport: 5, dport: 6 },
  ]));
  // The flow's own next packet, past its idle timeout, ends the old record.
  assert.deepEqual(queued().slice(before).map((f) => `${f.src_port}:${f.end_reason}`), [
    "5:idle",
  ]);

  // Shutdown: every active flow goes out as "forced".
  const active = engine.table.count;
  assert.ok(active > 0);
  const start = queued().length;
  assert.equal(flushActiveFlows(engine, exporters), active);
  assert.deepEqual(
    queued().slice(start).map((f) => f.end_reason),
    Array(active).fill("forced"),
  );
});

Deno.test("exportFlow() reports the active timeout as 'active'", () => {
  const { exporters, queued } = collecting();
  const engine = new FlowEngine({ onFlowEnd: exportListener(exporters), activeTimeoutSec: 10 });
  const t = 1700000000;
  engine.add(batchOf([
    { ts: t, src: client, dst: server, proto: 17, sport: 9, dport: 9 },
    { ts: t + 6, src: client, dst: server, proto: 17, sport: 9, dport: 9 },
    { ts: t + 12, src: client, dst: server, proto: 17, sport: 9, dport: 9 },
  ]));
  const [first] = queued();
  assert.equal(first.end_reason, "active");
  assert.equal(first.packets_c2s, 2);
});
