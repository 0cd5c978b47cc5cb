// The name readers FlowInspector runs on single datagrams: DNS (and mDNS, LLMNR, NetBIOS name
// service), DHCP, SSDP, MGCP, DTLS, STUN and NetBIOS datagrams, and in datagrams of no protocol
// Netwatch names, Agora SD-RTN and collectd. QUIC, which spans datagrams, is in
// stream_readers.ts.

import { Protocol } from "../../capture/payload/app_protocol.ts";
import { type DnsMessage, parseDnsMessage } from "../../capture/payload/dns_message.ts";
import { parseDhcp } from "../../capture/payload/dhcp_options.ts";
import { parseHttpRequest } from "../../capture/payload/http_request.ts";
import { parseMgcpEndpoint } from "../../capture/payload/mgcp_endpoint.ts";
import {
  decodeNetbiosLabel,
  netbiosDatagramSource,
  parseNetbiosDatagramName,
} from "../../capture/payload/netbios_name.ts";
import { parseStunRealm } from "../../capture/payload/server_greeting.ts";
import { parseCollectdHost, parseSdRtnName } from "../../capture/payload/client_names.ts";
import { parseDtlsClientHello } from "../../capture/payload/tls_client_hello.ts";
import { NameSource } from "./passive_dns.ts";
import type { Found } from "./stream_readers.ts";

/** What one datagram said. */
export interface DatagramResult {
  found: Found | null;
  /** The DNS message, when it was one (its answers go to passive DNS). */
  dns: DnsMessage | null;
  /** True when the sender is the client of the exchange (a query, a DTLS ClientHello). */
  clientSent: boolean;
  /**
   * The IPv4 address (a 32-bit number) of the host that announced `found` as its own name (a
   * DHCP client, a NetBIOS datagram's sender); 0 when the name is not such an announcement.
   * The packet's addresses do not say it: a DHCP client sends from 0.0.0.0 to broadcast.
   */
  owner: number;
}

const NOTHING: DatagramResult = Object.freeze({
  found: null,
  dns: null,
  clientSent: false,
  owner: 0,
});
/** DHCP message types whose client address is its own: REQUEST (3) and INFORM (8). */
const DHCP_REQUEST = 3;
const DHCP_INFORM = 8;
const NETBIOS_NAME_PORT = 137;
const NETBIOS_DATAGRAM_PORT = 138;

/** Reads the name in one datagram of a flow whose payload protocol is `protocol`. */
export function readDatagramName(
  protocol: number,
  bytes: Uint8Array,
  offset: number,
  length: number,
  srcPort: number,
  dstPort: number,
): DatagramResult {
  const datagram = srcPort === NETBIOS_DATAGRAM_PORT && dstPort === NETBIOS_DATAGRAM_PORT;
  if (
    protocol === Protocol.Dns || protocol === Protocol.Mdns || protocol === Protocol.Llmnr ||
    (protocol === Protocol.Netbios && !datagram)
  ) {
    const m = parseDnsMessage(bytes, offset, length);
    if (!m) return NOTHING;
    let name = m.questionName || m.firstAnswerName;
    // An answer without its question (an mDNS announcement) names a flow nothing has named.
    let source: number = m.questionName ? NameSource.Dns : NameSource.DnsAnswer;
    if (srcPort === NETBIOS_NAME_PORT || dstPort === NETBIOS_NAME_PORT) {
      name = decodeNetbiosLabel(name.split(".")[0]) ?? "";
      source = NameSource.Netbios;
    }
    return { found: name ? { name, source } : null, dns: m, clientSent: !m.response, owner: 0 };
  }
  let found: Found | null = null;
  let clientSent = false;
  let owner = 0;
  if (protocol === Protocol.Dhcp) {
    const dhcp = parseDhcp(bytes, offset, length);
    if (dhcp?.hostname) found = { name: dhcp.hostname, source: NameSource.Dhcp };
    // A DISCOVER's requested address is a wish; a REQUEST or INFORM claims it.
    const claims = dhcp?.messageType === DHCP_REQUEST || dhcp?.messageType === DHCP_INFORM;
    if (claims) owner = dhcp.clientAddress;
  } else if (protocol === Protocol.Ssdp) {
    // nDPI reports an SSDP Host as sent ("239.255.255.250:1900"): it names no server.
    const host = parseHttpRequest(bytes, offset, length).request?.hostHeader;
    if (host) found = { name: host, source: NameSource.Http };
  } else if (protocol === Protocol.Mgcp) {
    const name = parseMgcpEndpoint(bytes, offset, length);
    if (name) found = { name, source: NameSource.Mgcp };
  } else if (protocol === Protocol.Stun) {
    const name = parseStunRealm(bytes, offset, length);
    if (name) found = { name, source: NameSource.StunRealm };
  } else if (protocol === Protocol.Dtls) {
    const name = parseDtlsClientHello(bytes, offset, length)?.sni;
    if (name) found = { name, source: NameSource.Sni };
    clientSent = found !== null;
  } else if (datagram) {
    const name = parseNetbiosDatagramName(bytes, offset, length);
    if (name) {
      found = { name, source: NameSource.Netbios };
      owner = netbiosDatagramSource(bytes, offset, length);
    }
  } else if (protocol === Protocol.Unknown) {
    const name = parseSdRtnName(bytes, offset, length) ?? parseCollectdHost(bytes, offset, length);
    if (name) found = { name, source: NameSource.ClientMessage };
  }
  return found ? { found, dns: null, clientSent, owner } : NOTHING;
}
