// The name readers FlowInspector runs on a flow's reassembled client bytes: TLS records, HTTP
// requests and DNS over TCP by stream, and QUIC Initials by crypto-stream offset.

import { parseDnsTcp } from "../../capture/payload/dns_message.ts";
import { findCleartextChlo, gquicNumber, parseChlo } from "../../capture/payload/gquic_chlo.ts";
import {
  HttpStatus,
  isHttpResponse,
  isProxyRequest,
  parseHttpRequest,
} from "../../capture/payload/http_request.ts";
import { detectProtocol, Protocol } from "../../capture/payload/app_protocol.ts";
import { longHeaderVersion, readQuicInitials } from "../../capture/payload/quic_initial.ts";
import { parseMuninGreeting, parseSmtpGreeting } from "../../capture/payload/server_greeting.ts";
import { parseWhoisQuery, parseXiaomiDomain } from "../../capture/payload/client_names.ts";
import {
  parseClientHelloMessage,
  parseTlsStream,
  TlsStatus,
} from "../../capture/payload/tls_client_hello.ts";
import { NameSource } from "./passive_dns.ts";
import type { ReassemblyPool } from "./reassembly_pool.ts";

/** A name found, with where it came from (a NameSource value). */
export interface Found {
  name: string;
  source: number;
}

/** What a TCP client stream carries. */
export const StreamKind = { None: 0, Tls: 1, Http: 2, DnsTcp: 3, Ended: 4 } as const;

/** The answer of parseClientStream(): status -1 not this kind, 0 need more, 1 done. */
export interface StreamResult {
  status: number;
  /** With status 0: stream bytes needed before reading again (a guess for HTTP). */
  needBytes: number;
  found: Found | null;
}

const NOT_THIS: StreamResult = Object.freeze({ status: -1, needBytes: 0, found: null });
/** HTTP headers give no length: ask for a little more each time. */
const HTTP_STEP = 512;

/** Reads the stream prefix `bytes[offset, offset + length)` of a client stream of `kind`. */
export function parseClientStream(
  kind: number,
  bytes: Uint8Array,
  offset: number,
  length: number,
): StreamResult {
  if (kind === StreamKind.Tls) {
    const r = parseTlsStream(bytes, offset, length);
    if (r.status === TlsStatus.NotTls) return NOT_THIS;
    if (r.status === TlsStatus.NeedMore) return { status: 0, needBytes: r.needBytes, found: null };
    const sni = r.hello?.sni;
    return { status: 1, needBytes: 0, found: sni ? { name: sni, source: NameSource.Sni } : null };
  }
  if (kind === StreamKind.Http) {
    const r = parseHttpRequest(bytes, offset, length);
    if (r.status === HttpStatus.NotHttp) return NOT_THIS;
    if (r.status === HttpStatus.NeedMore) {
      return { status: 0, needBytes: length + HTTP_STEP, found: null };
    }
    const host = r.request?.host;
    const source = r.request && isProxyRequest(r.request) ? NameSource.HttpProxy : NameSource.Http;
    return { status: 1, needBytes: 0, found: host ? { name: host, source } : null };
  }
  if (kind === StreamKind.DnsTcp) {
    const r = parseDnsTcp(bytes, offset, length);
    if (r.needBytes > 0) return { status: 0, needBytes: r.needBytes, found: null };
    const name = r.message?.questionName;
    if (!r.message) return NOT_THIS;
    return { status: 1, needBytes: 0, found: name ? { name, source: NameSource.Dns } : null };
  }
  return NOT_THIS;
}

/** The answer of readQuicDatagram(). */
export interface QuicStep {
  found: Found | null;
  /** The connection ID whose keys opened the Initials, when any were opened. */
  dcid: Uint8Array | undefined;
  /** The reassembly buffer now held (-1 for none). */
  buffer: number;
  /** True when the ClientHello was read (with or without a name): stop looking. */
  done: boolean;
}

/**
 * Reads one client datagram of a QUIC flow: the CHLO of cleartext gQUIC, or the CRYPTO data of
 * Initials, gathered in `pool` buffer `buffer` (acquired here when the hello spans datagrams).
 */
export function readQuicDatagram(
  bytes: Uint8Array,
  offset: number,
  length: number,
  firstDcid: Uint8Array | undefined,
  pool: ReassemblyPool,
  buffer: number,
): QuicStep {
  const version = longHeaderVersion(bytes, offset, length);
  const gquic = version < 0 ? 1 : gquicNumber(version);
  if (gquic > 0 && gquic <= 46) {
    const region = findCleartextChlo(bytes, offset, length);
    const sni = region ? parseChlo(bytes, region.start, region.end - region.start)?.sni : null;
    return { found: quicName(sni), dcid: undefined, buffer, done: region !== null };
  }
  const initials = readQuicInitials(bytes, offset, length, firstDcid);
  if (!initials) return { found: null, dcid: undefined, buffer, done: false };
  const dcid = initials.dcid;
  if (buffer < 0) {
    // Fast path: the whole hello in one frame at offset 0.
    for (const c of initials.chunks) {
      if (c.offset !== 0) continue;
      const r = readCrypto(initials.tls, c.data, 0, c.data.length);
      if (r.done) return { found: r.found, dcid, buffer, done: true };
    }
    buffer = pool.acquire();
    if (buffer < 0) return { found: null, dcid, buffer, done: true };
  }
  let have = pool.contiguous(buffer);
  for (const c of initials.chunks) have = pool.write(buffer, c.offset, c.data, 0, c.data.length);
  if (have === 0) return { found: null, dcid, buffer, done: false };
  const r = readCrypto(initials.tls, pool.bytes, pool.offsetOf(buffer), have);
  return { found: r.found, dcid, buffer, done: r.done || have >= pool.size };
}

/** Reads a crypto-stream prefix: a TLS ClientHello message, or a gQUIC CHLO (Q050). */
function readCrypto(
  tls: boolean,
  bytes: Uint8Array,
  offset: number,
  length: number,
): { found: Found | null; done: boolean } {
  if (!tls) {
    const chlo = parseChlo(bytes, offset, length);
    return { found: quicName(chlo?.sni), done: chlo === null || !!chlo.sni };
  }
  if (length >= 1 && bytes[offset] !== 1) return { found: null, done: true }; // not a ClientHello
  const hello = parseClientHelloMessage(bytes, offset, length);
  if (!hello) return { found: null, done: false };
  return { found: quicName(hello.sni), done: hello.sni !== null || hello.complete };
}

function quicName(sni: string | null | undefined): Found | null {
  return sni ? { name: sni, source: NameSource.Quic } : null;
}

/** TCP ports of mail submission and relay, whose greeting may not say "SMTP". */
const MAIL_PORTS = new Set([25, 587, 2525]);
const MUNIN_PORT = 4949;
const WHOIS_PORTS = new Set([43, 4343]);
const XIAOMI_PORT = 5222;

/**
 * A name in the first words of a TCP flow that starts no stream Netwatch reassembles: a mail or
 * Munin server's greeting (the server names itself), a Xiaomi push client's first message or a
 * WHOIS query (server_greeting.ts, client_names.ts).
 */
export function readFirstWords(
  protocol: number,
  bytes: Uint8Array,
  offset: number,
  length: number,
  srcPort: number,
  dstPort: number,
): Found | null {
  let name: string | null = null;
  if (protocol === Protocol.Smtp || MAIL_PORTS.has(srcPort)) {
    name = parseSmtpGreeting(bytes, offset, length);
  } else if (srcPort === MUNIN_PORT) {
    name = parseMuninGreeting(bytes, offset, length);
  }
  if (name) return { name, source: NameSource.Greeting };
  if (dstPort === XIAOMI_PORT) name = parseXiaomiDomain(bytes, offset, length);
  else if (WHOIS_PORTS.has(dstPort)) name = parseWhoisQuery(bytes, offset, length);
  return name ? { name, source: NameSource.ClientMessage } : null;
}

/** The kind of client stream a TCP segment starts, or StreamKind.None. */
export function startKind(
  bytes: Uint8Array,
  offset: number,
  length: number,
  srcPort: number,
  dstPort: number,
): number {
  if (length >= 3 && bytes[offset] === 22 && bytes[offset + 1] === 3) return StreamKind.Tls;
  const p = detectProtocol(6, bytes, offset, length, srcPort, dstPort);
  if (p === Protocol.Http && !isHttpResponse(bytes, offset, length)) return StreamKind.Http;
  if ((srcPort === 53 || dstPort === 53) && parseDnsTcp(bytes, offset, length).needBytes >= 0) {
    const r = parseDnsTcp(bytes, offset, length);
    if (r.message || r.needBytes > 0) return StreamKind.DnsTcp;
  }
  return StreamKind.None;
}
