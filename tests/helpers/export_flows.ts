// Export records for tests: a plain one, with only what a test is about written out.

import type { ExportFlow } from "../../export/types.ts";

/**
 * An ended one-packet DNS query, 10.0.0.1:1000 -> 10.0.0.2:53 over UDP (60 bytes, state S0,
 * ended idle, no names), with `fields` written over it.
 */
export function exportFlow(fields: Partial<ExportFlow> = {}): ExportFlow {
  return {
    id: 1,
    active: false,
    proto: "udp",
    src_ip: "10.0.0.1",
    src_port: 1000,
    dst_ip: "10.0.0.2",
    dst_port: 53,
    vlan: null,
    packets_c2s: 1,
    bytes_c2s: 60,
    packets_s2c: 0,
    bytes_s2c: 0,
    first_ts: 1700000000,
    last_ts: 1700000000,
    state: "S0",
    service: "dns",
    no_ports: false,
    end_reason: "idle",
    tcp_flags_c2s: 0,
    tcp_flags_s2c: 0,
    ip_version: 4,
    ...fields,
  };
}
