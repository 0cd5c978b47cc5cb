// flowsTable(): report --flows' text, a header and aligned rows with names, apps and tunnels.

import assert from "node:assert/strict";
import type { FlowRecord } from "../flows/flow_record.ts";
import { flowsTable } from "./flows_table.ts";
import { sampleFlow } from "../tests/helpers/sample_flow.ts";

function flow(over: Partial<FlowRecord>): FlowRecord {
  return sampleFlow({
    active: false,
    dst_ip: "192.0.2.7",
    packets_c2s: 5,
    bytes_c2s: 700,
    packets_s2c: 4,
    bytes_s2c: 5000,
    first_ts: 1,
    last_ts: 2,
    state: "SF",
    rate_now: 0,
    ...over,
  });
}

Deno.test("flowsTable() puts a header over aligned rows, with each flow's name, app and tunnel", () => {
  const text = flowsTable([
    flow({ server_name: "www.example.com", app: "TLS", vlan: 42 }),
    flow({
      proto: "udp",
      src_ip: "2001:db8::1",
      src_port: 5353,
      dst_ip: "2001:db8::fb",
      dst_port: 5353,
      state: "S0",
      service: null,
      tunnel: "vxlan",
    }),
    flow({ proto: "tcp", no_ports: true, service: null, state: "OTH" }),
  ]);
  const lines = text.split("\n");
  assert.equal(lines.length, 4);
  assert.match(
    lines[0],
    /^proto +client +server +pkts\/bytes c>s +pkts\/bytes s>c +state +service +app +server name +tunnel +vlan$/,
  );
  assert.match(
    lines[1],
    /^tcp +10\.0\.0\.1:40000 +192\.0\.2\.7:443 +5\/700 +4\/5000 +SF +https +TLS +www\.example\.com +- +42$/,
  );
  assert.match(
    lines[2],
    /^udp +\[2001:db8::1\]:5353 +\[2001:db8::fb\]:5353 .* S0 +- +- +- +vxlan +-$/,
  );
  assert.match(lines[3], /^tcp +10\.0\.0\.1 +192\.0\.2\.7 /, "no ports, none shown");
  // Columns line up: each header starts where its cells start.
  const at = (line: string, text: string) => line.indexOf(text);
  assert.equal(at(lines[1], "192.0.2.7"), at(lines[0], "server"));
  assert.equal(at(lines[2], "[2001:db8::fb]"), at(lines[0], "server"));
  assert.equal(at(lines[1], "www.example.com"), at(lines[0], "server name"));
});
