// Tests for TCP connection states and orientation, fed through the engine as packets.

import assert from "node:assert/strict";
import { FlowEngine } from "./flow_engine.ts";
import { batchOf, type TestPacket } from "../tests/helpers/packets.ts";
import { TcpFlag } from "./tcp_state.ts";

const { Syn, Ack, Fin, Rst, Psh } = TcpFlag;
const C = "10.0.0.2"; // client
const S = "10.0.0.1"; // server (sorts first, so the client is end B in key terms)

/** A segment client -> server (`up`) or server -> client at time t. */
function seg(t: number, up: boolean, tcp: number, len = 60): TestPacket {
  return up
    ? { ts: 1000 + t, src: C, dst: S, sport: 40000, dport: 443, tcp, len }
    : { ts: 1000 + t, src: S, dst: C, sport: 443, dport: 40000, tcp, len };
}

function stateOf(packets: TestPacket[]) {
  const engine = new FlowEngine();
  engine.add(batchOf(packets));
  const flows = engine.activeRecords();
  assert.equal(flows.length, 1);
  return flows[0];
}

Deno.test("a full handshake and FIN both ways is SF, oriented client -> server", () => {
  const f = stateOf([
    seg(0, true, Syn),
    seg(0.01, false, Syn | Ack),
    seg(0.02, true, Ack),
    seg(0.03, true, Psh | Ack, 500),
    seg(0.04, false, Psh | Ack, 1500),
    seg(0.05, true, Fin | Ack),
    seg(0.06, false, Fin | Ack),
    seg(0.07, true, Ack),
  ]);
  assert.equal(f.state, "SF");
  assert.deepEqual([f.src_ip, f.src_port, f.dst_ip, f.dst_port], [C, 40000, S, 443]);
  assert.deepEqual([f.packets_c2s, f.bytes_c2s, f.packets_s2c, f.bytes_s2c], [5, 740, 3, 1620]);
  assert.equal(f.service, "https");
});

Deno.test("an established connection without FIN or RST is S1", () => {
  const f = stateOf([seg(0, true, Syn), seg(0.01, false, Syn | Ack), seg(0.02, true, Ack)]);
  assert.equal(f.state, "S1");
});

Deno.test("a SYN with no answer is S0", () => {
  assert.equal(stateOf([seg(0, true, Syn), seg(1, true, Syn)]).state, "S0");
});

Deno.test("a SYN answered by RST is REJ", () => {
  assert.equal(stateOf([seg(0, true, Syn), seg(0.01, false, Rst | Ack)]).state, "REJ");
});

Deno.test("a reset by the client after the handshake is RSTO, by the server RSTR", () => {
  const open = [seg(0, true, Syn), seg(0.01, false, Syn | Ack), seg(0.02, true, Ack)];
  assert.equal(stateOf([...open, seg(0.03, true, Rst)]).state, "RSTO");
  assert.equal(stateOf([...open, seg(0.03, false, Rst)]).state, "RSTR");
});

Deno.test("a SYN then a client RST with no SYN-ACK is RSTOS0", () => {
  assert.equal(stateOf([seg(0, true, Syn), seg(0.5, true, Rst)]).state, "RSTOS0");
});

Deno.test("half-open: SYN then FIN with no SYN-ACK is SH", () => {
  assert.equal(stateOf([seg(0, true, Syn), seg(0.5, true, Fin | Ack)]).state, "SH");
});

Deno.test("a SYN-ACK seen first makes its receiver the client; then RST is RSTRH, FIN SHR", () => {
  const rst = stateOf([seg(0, false, Syn | Ack), seg(0.01, false, Rst)]);
  assert.deepEqual([rst.src_ip, rst.dst_ip, rst.state], [C, S, "RSTRH"]);
  assert.equal(stateOf([seg(0, false, Syn | Ack), seg(0.01, false, Fin | Ack)]).state, "SHR");
});

Deno.test("close by one side only after a handshake is S2 (client) or S3 (server)", () => {
  const open = [seg(0, true, Syn), seg(0.01, false, Syn | Ack), seg(0.02, true, Ack)];
  assert.equal(stateOf([...open, seg(0.03, true, Fin | Ack)]).state, "S2");
  assert.equal(stateOf([...open, seg(0.03, false, Fin | Ack)]).state, "S3");
});

Deno.test("mid-stream traffic with no handshake is OTH, oriented by its first packet", () => {
  const f = stateOf([seg(0, false, Psh | Ack, 1000), seg(0.01, true, Ack)]);
  assert.equal(f.state, "OTH");
  assert.deepEqual([f.src_ip, f.src_port, f.dst_ip], [S, 443, C]);
  // The service still comes from the well-known port, on whichever end it is.
  assert.equal(f.service, "https");
});

Deno.test("a SYN seen after mid-stream packets turns the flow to the SYN's sender", () => {
  const f = stateOf([seg(0, false, Ack, 100), seg(0.01, true, Syn), seg(0.02, false, Syn | Ack)]);
  assert.deepEqual([f.src_ip, f.dst_ip], [C, S]);
  assert.deepEqual([f.packets_c2s, f.packets_s2c], [1, 2]);
});
