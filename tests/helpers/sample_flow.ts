// One flow record for tests of code that reads records (sums, tables, text): a TCP flow with
// figures in both directions, each field overridable.

import type { FlowRecord } from "../../server/wire.ts";

/** A TCP flow 10.0.0.1:40000 -> 192.0.2.1:443 (https, S1), with `change` applied. */
export function sampleFlow(change: Partial<FlowRecord> = {}): FlowRecord {
  return {
    id: 1,
    active: true,
    proto: "tcp",
    src_ip: "10.0.0.1",
    src_port: 40000,
    dst_ip: "192.0.2.1",
    dst_port: 443,
    vlan: null,
    packets_c2s: 10,
    bytes_c2s: 1000,
    packets_s2c: 30,
    bytes_s2c: 3000,
    first_ts: 100,
    last_ts: 199.5,
    state: "S1",
    service: "https",
    no_ports: false,
    aggregate: false,
    rate_now: 400,
    server_name: null,
    app: null,
    tunnel: null,
    ...change,
  };
}
