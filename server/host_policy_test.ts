// HostPolicy: the Host and Origin values a server answers, against rebinding and hijacking.

import assert from "node:assert/strict";
import { HostPolicy } from "./host_policy.ts";

Deno.test("HostPolicy answers its own names on any port, and nothing else", () => {
  const policy = new HostPolicy({ listenHost: "127.0.0.1", allowedHosts: ["nw.example.org"] });
  for (
    const host of ["127.0.0.1:7500", "localhost:8080", "[::1]:7500", "app.localhost:1", "localhost"]
  ) {
    assert.ok(policy.hostAllowed(host), host);
  }
  assert.ok(policy.hostAllowed("NW.Example.ORG:443"));
  assert.ok(policy.hostAllowed(undefined), "no Host: not a browser");
  for (
    const host of ["attacker.example:7500", "127.0.0.1.nip.io:7500", "10.0.0.5:7500", "", "[::2]:1"]
  ) {
    assert.ok(!policy.hostAllowed(host), host);
  }
});

Deno.test("HostPolicy on a wildcard listen answers the machine's addresses", () => {
  const policy = new HostPolicy({
    listenHost: "0.0.0.0",
    localAddresses: ["192.0.2.7", "fe80::1", "127.0.0.1"],
  });
  assert.ok(policy.hostAllowed("192.0.2.7:7500"));
  assert.ok(policy.hostAllowed("[fe80::1]:7500"));
  assert.ok(!policy.hostAllowed("192.0.2.8:7500"));
  assert.ok(policy.hostAllowed("0.0.0.0:7500"), "the address the serving line shows");
  const named = new HostPolicy({ listenHost: "monitor.lan" });
  assert.ok(named.hostAllowed("monitor.lan:7500"));
});

Deno.test("HostPolicy takes a browser's Origin only from the very origin it asked", () => {
  const policy = new HostPolicy({ listenHost: "127.0.0.1", allowedHosts: ["nw.example.org"] });
  assert.ok(policy.originAllowed(undefined, "127.0.0.1:7500"), "no Origin: not a browser");
  assert.ok(policy.originAllowed("http://127.0.0.1:7500", "127.0.0.1:7500"));
  assert.ok(policy.originAllowed("http://localhost:8080", "localhost:8080"));
  assert.ok(policy.originAllowed("https://nw.example.org", "127.0.0.1:7500"), "the proxy's name");
  for (
    const [origin, host] of [
      ["https://evil.example", "127.0.0.1:7500"],
      ["http://127.0.0.1:3000", "127.0.0.1:7500"], // another port is another site
      ["http://localhost:7500", "127.0.0.1:7500"],
      ["null", "127.0.0.1:7500"],
      ["file://", "127.0.0.1:7500"],
      ["http://attacker.example:7500", "attacker.example:7500"], // rebinding
    ]
  ) {
    assert.ok(!policy.originAllowed(origin, host), `${origin} -> ${host}`);
  }
});

Deno.test("HostPolicy tells requests through an --allowed-host proxy", () => {
  const policy = new HostPolicy({
    listenHost: "127.0.0.1",
    allowedHosts: ["nw.example.org", "other.example:8443"],
  });
  assert.ok(policy.viaProxy("nw.example.org"));
  assert.ok(policy.viaProxy("other.example:8443"));
  assert.ok(!policy.viaProxy("other.example:9000"));
  assert.ok(!policy.viaProxy("127.0.0.1:7500"));
});
