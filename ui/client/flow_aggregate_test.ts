// Tests of the sums over flows: apps (by bytes or current rate) and hosts as talkers.

import assert from "node:assert/strict";
import { appsOf, hostsOf, rateNowOf } from "./flow_aggregate.ts";
import { sampleFlow } from "../../tests/helpers/sample_flow.ts";

const flow = sampleFlow;

Deno.test("rateNowOf() is rate_now until the last packet leaves the last 3 finished seconds", () => {
  const f = flow({ last_ts: 199.5 });
  assert.equal(rateNowOf(f, 0), 400, "no clock yet: the record's own figure");
  assert.equal(rateNowOf(f, 200), 400);
  assert.equal(rateNowOf(f, 201), 400, "seconds 199-201 still hold its last packet");
  assert.equal(rateNowOf(f, 202), 0);
  assert.equal(rateNowOf(flow({ active: false }), 200), 0, "an ended flow sends nothing now");
});

Deno.test("appsOf() names a flow by its app, else its port's service, and ranks by bytes", () => {
  const apps = appsOf([
    flow({ app: "TLS.YouTube", bytes_c2s: 100, bytes_s2c: 9000 }),
    flow({ app: "TLS.YouTube", bytes_c2s: 100, bytes_s2c: 900 }),
    flow({ app: null, service: "https" }),
    flow({ app: null, service: null, bytes_c2s: 1, bytes_s2c: 0, packets_c2s: 1 }),
  ], "bytes");
  assert.deepEqual(apps.map((a) => [a.name, a.kind, a.bytes, a.flows]), [
    ["TLS.YouTube", "app", 10_100, 2],
    ["https", "service", 4000, 1],
    ["other", "other", 1, 1],
  ]);
});

Deno.test("appsOf() by rate ranks current rates and leaves out quiet apps", () => {
  const apps = appsOf(
    [
      flow({ app: "DNS", rate_now: 10, last_ts: 200 }),
      flow({ app: "QUIC", rate_now: 500, last_ts: 200 }),
      flow({ app: "SSH", rate_now: 900, last_ts: 150 }),
    ],
    "rate",
    201,
  );
  assert.deepEqual(apps.map((a) => [a.name, a.rate]), [["QUIC", 500], ["DNS", 10]]);
});

Deno.test("hostsOf() counts both ends of each flow, and only the server of an aggregate", () => {
  const hosts = hostsOf([
    flow({ server_name: "video.example" }),
    flow({ src_ip: "0.0.0.0", src_port: 0, aggregate: true, bytes_c2s: 60, bytes_s2c: 0 }),
  ]);
  const byAddress = new Map(hosts.map((h) => [h.address, h]));
  assert.deepEqual([...byAddress.keys()].sort(), ["10.0.0.1", "192.0.2.1"]);
  const client = byAddress.get("10.0.0.1")!;
  assert.deepEqual([client.bytes_sent, client.bytes_received], [1000, 3000]);
  assert.deepEqual([client.rate_sent, client.rate_received], [100, 300], "rate split by bytes");
  const server = byAddress.get("192.0.2.1")!;
  assert.deepEqual([server.bytes_sent, server.bytes_received], [3000, 1060]);
  assert.equal(server.name, "video.example");
});
