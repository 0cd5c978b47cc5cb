// parseExportUrl() and parseExportArgs(): what --export accepts, and errors that name the URL.

import assert from "node:assert/strict";
import { parseExportArgs, parseExportUrl, redactUrl } from "./export_url.ts";

Deno.test("parseExportUrl() reads IPFIX URLs with defaults and parameters", () => {
  assert.deepEqual(parseExportUrl("ipfix://10.0.0.1"), {
    kind: "ipfix",
    name: "ipfix://10.0.0.1",
    host: "10.0.0.1",
    port: 4739,
    observationDomainId: 1,
    pen: 0,
    maxMessageBytes: undefined,
    ingressInterface: undefined,
    queueCapacity: undefined,
  });
  const tcp = parseExportUrl("ipfix+tcp://[2001:db8::9]:9995?domain=7&pen=12345&queue=10");
  if (tcp.kind !== "ipfix+tcp") throw new Error(`parsed as ${tcp.kind}`);
  assert.equal(tcp.host, "[2001:db8::9]");
  assert.equal(tcp.port, 9995);
  assert.equal(tcp.observationDomainId, 7);
  assert.equal(tcp.pen, 12345);
  assert.equal(tcp.queueCapacity, 10);
});

Deno.test("parseExportUrl() reads ClickHouse URLs, decoding the user and password", () => {
  const config = parseExportUrl("clickhouse+http://nw:p%40ss@db.example/flows_db?exporter=edge1");
  assert.deepEqual(config, {
    kind: "clickhouse",
    name: "clickhouse+http://nw:***@db.example/flows_db?exporter=edge1",
    endpoint: "http://db.example:8123/",
    database: "flows_db",
    user: "nw",
    password: "p@ss",
    passwordFile: undefined,
    exporter: "edge1",
    queueCapacity: undefined,
  });
  const secure = parseExportUrl("clickhouse+https://h/d?password_file=/run/pw");
  assert.equal(secure.kind === "clickhouse" && secure.endpoint, "https://h:8443/");
  assert.equal(secure.kind === "clickhouse" && secure.passwordFile, "/run/pw");
});

Deno.test("parseExportUrl() errors name the URL, never its password", () => {
  const cases: [string, RegExp][] = [
    ["udp://h:1", /unknown scheme "udp:"/],
    ["ipfix://h:70000", /port 70000 is not in 1-65535/],
    ["ipfix://h?mtu=100", /mtu=100 is not a whole number in 512-65535/],
    [
      "ipfix://h?color=red",
      /unknown parameter "color" \(accepted: domain, pen, ifindex, mtu, queue\)/,
    ],
    ["ipfix+tcp://h?mtu=1400", /unknown parameter "mtu"/],
    ["ipfix://u:pw@h", /IPFIX takes no user or password/],
    ["clickhouse+http://u:secret@h", /no database/],
    ["clickhouse+http://h/my-db", /database "my-db" is not/],
    ["clickhouse+http://u:secret@h/d?password_file=f", /not both/],
    ["not a url", /expected ipfix:\/\/HOST:PORT/],
  ];
  for (const [url, pattern] of cases) {
    assert.throws(() => parseExportUrl(url), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, pattern);
      assert.match(error.message, /^Invalid --export "/);
      assert.doesNotMatch(error.message, /secret/);
      return true;
    });
  }
  assert.equal(redactUrl("clickhouse+http://a:b@h/d"), "clickhouse+http://a:***@h/d");
});

Deno.test("parseExportArgs() checks that each --export-* option has a destination", () => {
  assert.throws(
    () => parseExportArgs({ export: ["clickhouse+http://h/d"], "export-biflow": true }),
    /--export-biflow applies to ipfix/,
  );
  assert.throws(
    () => parseExportArgs({ export: ["ipfix://h"], "export-retention": "7" }),
    /--export-retention applies to clickhouse/,
  );
  assert.throws(
    () => parseExportArgs({ export: ["clickhouse+http://h/d"], "export-retention": "0.5" }),
    /Invalid --export-retention "0.5"/,
  );
  assert.throws(
    () => parseExportArgs({ "export-password-file": "f" }),
    /--export-password-file applies to clickhouse/,
  );
  const args = parseExportArgs({
    export: ["ipfix://h", "clickhouse+http://h/d"],
    "export-biflow": true,
    "export-retention": "30",
  });
  assert.equal(args.destinations.length, 2);
  assert.equal(args.biflow, true);
  assert.equal(args.retentionDays, 30);
});
