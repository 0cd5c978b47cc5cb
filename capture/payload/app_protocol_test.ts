// Tests for payload protocol detection: one positive sample per signature and near misses.

import assert from "node:assert/strict";
import { detectProtocol, Protocol, PROTOCOL_NAMES } from "./app_protocol.ts";
import { buildClientHello, toRecords } from "../../tests/helpers/tls_hello.ts";
import { buildInitial, cryptoFrame } from "../../tests/helpers/quic_packet.ts";

const t = (s: string) => new TextEncoder().encode(s);
const tcp = (b: Uint8Array, sp = 40000, dp = 12345) => detectProtocol(6, b, 0, b.length, sp, dp);
const udp = (b: Uint8Array, sp = 40000, dp = 12345) => detectProtocol(17, b, 0, b.length, sp, dp);

Deno.test("detectProtocol() recognises TCP protocols on any port", () => {
  assert.equal(tcp(toRecords(buildClientHello({ sni: "a.b" }))), Protocol.Tls);
  assert.equal(tcp(t("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), Protocol.Http);
  assert.equal(tcp(t("HTTP/1.1 404 Not Found\r\n")), Protocol.Http);
  assert.equal(tcp(t("SSH-2.0-OpenSSH_9.2\r\n")), Protocol.Ssh);
  assert.equal(tcp(t("220 mx.example ESMTP Postfix\r\n")), Protocol.Smtp);
  assert.equal(tcp(t("220 ProFTPD Server ready.\r\n")), Protocol.Ftp);
  assert.equal(tcp(t("* OK [CAPABILITY IMAP4rev1] ready\r\n")), Protocol.Imap);
  assert.equal(tcp(t("+OK POP3 server ready\r\n")), Protocol.Pop3);
  assert.equal(tcp(new Uint8Array([3, 0, 0, 11, 6, 0xe0, 0, 0, 0, 0, 0])), Protocol.Rdp);
  assert.equal(tcp(new Uint8Array([0, 0, 0, 4, 0xfe, 0x53, 0x4d, 0x42])), Protocol.Smb);
  assert.equal(tcp(new Uint8Array([19, ...t("BitTorrent protocol"), 0, 0])), Protocol.BitTorrent);
  assert.equal(
    tcp(new Uint8Array([0x10, 12, 0, 4, ...t("MQTT"), 4, 2, 0, 60, 0, 0])),
    Protocol.Mqtt,
  );
  assert.equal(tcp(new Uint8Array([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])), Protocol.Postgres);
  assert.equal(tcp(new Uint8Array([7, 0, 0, 0, 10, ...t("8.0.3"), 0])), Protocol.Mysql);
  assert.equal(tcp(t("INVITE sip:bob@example.com SIP/2.0\r\n")), Protocol.Sip);
  assert.equal(PROTOCOL_NAMES[Protocol.Mysql], "MySQL");
});

Deno.test("detectProtocol() recognises UDP protocols", () => {
  const quic = buildInitial(1, new Uint8Array(8), cryptoFrame(0, buildClientHello({ sni: "q" })));
  assert.equal(udp(quic), Protocol.Quic);
  const stun = new Uint8Array([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, ...new Array(12).fill(7)]);
  assert.equal(udp(stun), Protocol.Stun);
  const ntp = new Uint8Array(48);
  ntp[0] = 0x23; // version 4, client
  assert.equal(udp(ntp), Protocol.Ntp);
  const dhcp = new Uint8Array(300);
  dhcp.set([1, 1, 6]);
  dhcp.set([0x63, 0x82, 0x53, 0x63], 236);
  assert.equal(udp(dhcp, 68, 67), Protocol.Dhcp);
  const dns = new Uint8Array([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 0, 1, 0, 1]);
  assert.equal(udp(dns, 5000, 53), Protocol.Dns);
  assert.equal(udp(dns, 5353, 5353), Protocol.Mdns);
  assert.equal(udp(dns, 5000, 5355), Protocol.Llmnr);
  // NetBIOS name service is DNS-shaped; its datagram service carries a source name.
  assert.equal(udp(dns, 137, 137), Protocol.Netbios);
  const label = t("EB".repeat(16)); // "AAAAAAAAAAAAAAAA", first-level encoded
  const datagram = new Uint8Array([
    0x11,
    2,
    0,
    1,
    10,
    0,
    0,
    1,
    0,
    138,
    0,
    80,
    0,
    0,
    0x20,
    ...label,
    0,
  ]);
  assert.equal(udp(datagram, 138, 138), Protocol.Netbios);
  assert.notEqual(udp(datagram, 138, 5000), Protocol.Netbios, "not between datagram ports");
  assert.equal(PROTOCOL_NAMES[Protocol.Netbios], "NetBIOS");
  assert.equal(PROTOCOL_NAMES[Protocol.Mgcp], "MGCP");
  assert.equal(PROTOCOL_NAMES.length, Math.max(...Object.values(Protocol)) + 1, "every id named");
  assert.equal(udp(t("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n")), Protocol.Ssdp);
  assert.equal(udp(t("RQNT 1 *@gw.example MGCP 0.1\nX: 2\n")), Protocol.Mgcp);
  const wg = new Uint8Array(148);
  wg[0] = 1;
  assert.equal(udp(wg), Protocol.WireGuard);
});

Deno.test("detectProtocol() does not guess from ports or near misses", () => {
  assert.equal(tcp(t("hello world, nothing here"), 40000, 443), Protocol.Unknown);
  assert.equal(udp(new Uint8Array(47).fill(0x23), 123, 123), Protocol.Unknown);
  assert.equal(udp(new Uint8Array([1, 2, 3, 4]), 53, 53), Protocol.Unknown);
  assert.equal(tcp(t("220 welcome\r\n")), Protocol.Unknown);
  assert.equal(detectProtocol(1, t("GET / HTTP/1.1\r\n"), 0, 16, 0, 0), Protocol.Unknown);
  assert.equal(tcp(new Uint8Array(0)), Protocol.Unknown);
});
