// Tests for the HTTP request reader: Host, SSDP, CONNECT, split requests and non-HTTP bytes.

import assert from "node:assert/strict";
import { HttpStatus, isHttpResponse, parseHttpRequest } from "./http_request.ts";

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("parseHttpRequest() reads the method, target and Host", () => {
  // 47 45 54 20 2f 69 6e 64 65 78 ...  "GET /index.html HTTP/1.1\r\nUser-Agent: x\r\nHOST: Www.Example.com:8080 \r\n"
  const b = text(
    "GET /index.html HTTP/1.1\r\nUser-Agent: x\r\nHOST:  Www.Example.com:8080 \r\n\r\n",
  );
  const r = parseHttpRequest(b, 0, b.length);
  assert.equal(r.status, HttpStatus.Done);
  assert.deepEqual(r.request, {
    method: "GET",
    target: "/index.html",
    host: "www.example.com",
    hostHeader: "www.example.com:8080",
    minorVersion: 1,
  });
});

Deno.test("parseHttpRequest() reads an SSDP M-SEARCH (HTTP over UDP)", () => {
  const b = text(
    'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\n\r\n',
  );
  assert.equal(parseHttpRequest(b, 0, b.length).request?.hostHeader, "239.255.255.250:1900");
  assert.equal(parseHttpRequest(b, 0, b.length).request?.host, "239.255.255.250");
  const v6 = text("GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n");
  assert.equal(parseHttpRequest(v6, 0, v6.length).request?.host, "[2001:db8::1]");
});

Deno.test("parseHttpRequest() asks for more when the request is cut before Host", () => {
  const b = text("POST /upload HTTP/1.1\r\nContent-Type: text/plain\r\nHost: late.example\r\n\r\n");
  for (const cut of [2, 10, 25, 40, 55]) {
    assert.equal(parseHttpRequest(b, 0, cut).status, HttpStatus.NeedMore, `cut at ${cut}`);
  }
  assert.equal(parseHttpRequest(b, 0, b.length).request?.host, "late.example");
});

Deno.test("parseHttpRequest() falls back to the CONNECT or absolute-form authority", () => {
  const connect = text("CONNECT apache.org:443 HTTP/1.0\r\n\r\n");
  assert.equal(parseHttpRequest(connect, 0, connect.length).request?.host, "apache.org");
  const proxy = text("GET http://Proxy.Example/a HTTP/1.0\r\nAccept: */*\r\n\r\n");
  assert.equal(parseHttpRequest(proxy, 0, proxy.length).request?.host, "proxy.example");
  const none = text("GET / HTTP/1.0\r\n\r\n");
  const r = parseHttpRequest(none, 0, none.length);
  assert.equal(r.status, HttpStatus.Done);
  assert.equal(r.request?.host, null);
});

Deno.test("parseHttpRequest() says NotHttp for other bytes", () => {
  for (
    const s of [
      "SSH-2.0-OpenSSH\r\n",
      "GETX / HTTP/1.1\r\n",
      "GET / HTTP/2.0\r\n",
      "get / HTTP/1.1\r\n",
      "\x16\x03\x01",
    ]
  ) {
    const b = text(s);
    assert.equal(parseHttpRequest(b, 0, b.length).status, HttpStatus.NotHttp, s);
  }
});

Deno.test("parseHttpRequest() stays inside its range", () => {
  const b = text("xxGET / HTTP/1.1\r\nHost: in.example\r\n\r\nyy");
  assert.equal(parseHttpRequest(b, 2, b.length - 4).request?.host, "in.example");
  assert.equal(parseHttpRequest(b, 2, 20).status, HttpStatus.NeedMore);
});

Deno.test("isHttpResponse() recognises a status line", () => {
  const ok = text("HTTP/1.1 200 OK\r\n");
  assert.equal(isHttpResponse(ok, 0, ok.length), true);
  const no = text("HTTP/1.1 2x0 OK\r\n");
  assert.equal(isHttpResponse(no, 0, no.length), false);
});
