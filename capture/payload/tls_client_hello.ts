// Reads the server name (SNI) and ALPN from a TLS or DTLS ClientHello, across records and segments.
//
// The caller feeds the client-direction bytes of a stream from its start, in sequence order
// (reassembled by the caller); the parser answers "not TLS", "need more" (with how many stream
// bytes it needs before it can go on) or the ClientHello's fields. A ClientHello cut short still
// yields its SNI when the SNI extension is inside the bytes present: browsers put large key
// shares before it, and this often saves waiting for the next segment. Nothing here throws, and
// no read leaves [offset, offset + length).

import { asciiName } from "./name_text.ts";
import { u16, u24 } from "./bytes.ts";

/** What parseTlsStream() concluded. */
export const TlsStatus = {
  /** The bytes are not the start of a TLS handshake: stop looking. */
  NotTls: 0,
  /** A ClientHello has begun; `needBytes` stream bytes are needed to go on. */
  NeedMore: 1,
  /** `hello` holds what was found (possibly from a ClientHello cut short: see `complete`). */
  Done: 2,
} as const;

/** The fields of a ClientHello this project uses. */
export interface ClientHello {
  /** The host_name of the server_name extension, lower-cased; null when absent or not text. */
  sni: string | null;
  /** ALPN protocol names in the client's order ("h2", "http/1.1", "h3", ...). */
  alpn: string[];
  /** Highest version offered: supported_versions when present (0x0304 = TLS 1.3), else legacy. */
  version: number;
  /** False when the message was cut short before its extensions ended. */
  complete: boolean;
  /** True for a DTLS ClientHello. */
  dtls: boolean;
}

/** The answer of parseTlsStream(). */
export interface TlsStreamResult {
  status: number;
  /** With NeedMore: stream bytes needed (from the stream start) before calling again. */
  needBytes: number;
  hello: ClientHello | null;
}

const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
/** Longest record body allowed (2^14 plus the expansion TLS 1.2 allows for compression/MAC). */
const MAX_RECORD = 16384 + 2048;
/** Longest ClientHello gathered: real ones are a few KB; a larger one is not worth the wait. */
export const MAX_CLIENT_HELLO = 1 << 16;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;
const EXT_SUPPORTED_VERSIONS = 43;

/** Gathers handshake bytes spread over several records; grown on demand, never past the cap. */
let scratch = new Uint8Array(4096);

const NOT_TLS: TlsStreamResult = Object.freeze({
  status: TlsStatus.NotTls,
  needBytes: 0,
  hello: null,
});

/**
 * Parses the start of a client's TLS stream `bytes[offset, offset + length)`: records of type
 * handshake whose bodies together hold a ClientHello (a message may span records).
 */
export function parseTlsStream(bytes: Uint8Array, offset: number, length: number): TlsStreamResult {
  const end = Math.min(offset + length, bytes.length);
  let p = offset;
  let gathered = 0;
  let messageLength = -1; // handshake header + body, once the header is in
  for (;;) {
    // Record header: type (1), version (2), length (2).
    if (end - p < 5) {
      if (p === offset && !plausibleRecordStart(bytes, p, end)) return NOT_TLS;
      return needMore(p + 5 - offset);
    }
    const recordLength = u16(bytes, p + 3);
    if (
      bytes[p] !== CONTENT_HANDSHAKE || bytes[p + 1] !== 3 || bytes[p + 2] > 4 ||
      recordLength === 0 || recordLength > MAX_RECORD
    ) {
      // Something other than the rest of the ClientHello: use what was gathered, if anything.
      return p === offset ? NOT_TLS : partial(gathered, messageLength);
    }
    const bodyStart = p + 5;
    const bodyEnd = Math.min(bodyStart + recordLength, end);
    gathered = append(bytes, bodyStart, bodyEnd, gathered);
    if (gathered === -1) return NOT_TLS;
    if (gathered >= 1 && scratch[0] !== HANDSHAKE_CLIENT_HELLO) return NOT_TLS;
    if (messageLength < 0 && gathered >= 4) {
      messageLength = 4 + u24(scratch, 1);
      if (messageLength > MAX_CLIENT_HELLO || messageLength < 4 + 38) return NOT_TLS;
    }
    if (messageLength >= 0 && gathered >= messageLength) {
      return done(parseClientHelloBody(scratch, 4, messageLength, false));
    }
    if (bodyEnd < bodyStart + recordLength) {
      // The record is cut short by the end of the bytes present.
      const hello = messageLength >= 0 ? parseClientHelloBody(scratch, 4, gathered, false) : null;
      if (hello?.sni) return done(hello);
      return needMore(bodyStart + recordLength - offset);
    }
    p = bodyStart + recordLength;
  }
}

/**
 * Parses one handshake message (type, 24-bit length, body) at `bytes[offset, offset + length)`:
 * a ClientHello as QUIC's CRYPTO stream carries it. Null when it is not one; a message cut short
 * gives what its present part holds (`complete` false).
 */
export function parseClientHelloMessage(
  bytes: Uint8Array,
  offset: number,
  length: number,
): ClientHello | null {
  const end = Math.min(offset + length, bytes.length);
  if (end - offset < 4 + 38 || bytes[offset] !== HANDSHAKE_CLIENT_HELLO) return null;
  const declared = u24(bytes, offset + 1);
  return parseClientHelloBody(bytes, offset + 4, Math.min(offset + 4 + declared, end), false);
}

/**
 * Parses a DTLS ClientHello in one datagram `bytes[offset, offset + length)`: a record header
 * (13 bytes) and the first fragment of the handshake message (12-byte header). Null otherwise.
 */
export function parseDtlsClientHello(
  bytes: Uint8Array,
  offset: number,
  length: number,
): ClientHello | null {
  const end = Math.min(offset + length, bytes.length);
  // Record: type (1), version 0xfeff/0xfefd/0xfefc (2), epoch (2), sequence (6), length (2).
  if (end - offset < 13 + 12 + 38) return null;
  if (bytes[offset] !== CONTENT_HANDSHAKE || bytes[offset + 1] !== 0xfe) return null;
  if (bytes[offset + 2] < 0xfc) return null;
  const recordLength = u16(bytes, offset + 11);
  const recordEnd = Math.min(offset + 13 + recordLength, end);
  // Handshake: type (1), length (3), message_seq (2), fragment_offset (3), fragment_length (3).
  const h = offset + 13;
  if (bytes[h] !== HANDSHAKE_CLIENT_HELLO) return null;
  const fragmentOffset = u24(bytes, h + 6);
  const fragmentLength = u24(bytes, h + 9);
  if (fragmentOffset !== 0) return null;
  return parseClientHelloBody(bytes, h + 12, Math.min(h + 12 + fragmentLength, recordEnd), true);
}

/**
 * Walks a ClientHello body in `bytes[start, end)`: version (2), random (32), session id (1+n),
 * [DTLS cookie (1+n)], cipher suites (2+n), compression methods (1+n), extensions (2+n).
 */
function parseClientHelloBody(
  bytes: Uint8Array,
  start: number,
  end: number,
  dtls: boolean,
): ClientHello | null {
  if (end - start < 38) return null;
  const hello: ClientHello = {
    sni: null,
    alpn: [],
    version: u16(bytes, start),
    complete: false,
    dtls,
  };
  if (bytes[start] !== (dtls ? 0xfe : 3)) return null;
  let p = start + 34;
  const sessionIdLength = bytes[p];
  if (sessionIdLength > 32) return null;
  p += 1 + sessionIdLength;
  if (dtls) {
    if (p >= end) return hello;
    p += 1 + bytes[p];
  }
  if (p + 2 > end) return hello;
  const suitesLength = u16(bytes, p);
  if (suitesLength === 0 || (suitesLength & 1) !== 0) return null;
  p += 2 + suitesLength;
  if (p >= end) return hello;
  p += 1 + bytes[p];
  if (p === end) {
    hello.complete = true; // no extensions at all (SSL 3.0 style)
    return hello;
  }
  if (p + 2 > end) return hello;
  const extensionsEnd = p + 2 + u16(bytes, p);
  p += 2;
  const stop = Math.min(extensionsEnd, end);
  while (p + 4 <= stop) {
    const type = u16(bytes, p);
    const size = u16(bytes, p + 2);
    p += 4;
    if (p + size > stop) return hello;
    if (type === EXT_SERVER_NAME) hello.sni = readServerName(bytes, p, p + size);
    else if (type === EXT_ALPN) readAlpn(bytes, p, p + size, hello.alpn);
    else if (type === EXT_SUPPORTED_VERSIONS && !dtls) {
      hello.version = Math.max(hello.version, highestVersion(bytes, p, p + size));
    }
    p += size;
  }
  hello.complete = p === extensionsEnd && extensionsEnd <= end;
  return hello;
}

/** server_name extension: list length (2), then entries of type (1), length (2), name. */
function readServerName(bytes: Uint8Array, p: number, end: number): string | null {
  if (p + 2 > end) return null;
  const listEnd = Math.min(p + 2 + u16(bytes, p), end);
  p += 2;
  while (p + 3 <= listEnd) {
    const size = u16(bytes, p + 1);
    if (p + 3 + size > listEnd) return null;
    if (bytes[p] === 0) return asciiName(bytes, p + 3, size); // host_name
    p += 3 + size;
  }
  return null;
}

/** ALPN extension: list length (2), then protocol names each with a one-byte length. */
function readAlpn(bytes: Uint8Array, p: number, end: number, out: string[]): void {
  if (p + 2 > end) return;
  const listEnd = Math.min(p + 2 + u16(bytes, p), end);
  p += 2;
  while (p < listEnd && out.length < 8) {
    const size = bytes[p];
    if (size === 0 || p + 1 + size > listEnd) return;
    const name = asciiName(bytes, p + 1, size);
    if (name) out.push(name);
    p += 1 + size;
  }
}

/** supported_versions (client form): length (1), then 2-byte versions; GREASE values skipped. */
function highestVersion(bytes: Uint8Array, p: number, end: number): number {
  if (p >= end) return 0;
  const listEnd = Math.min(p + 1 + bytes[p], end);
  let best = 0;
  for (p += 1; p + 2 <= listEnd; p += 2) {
    const version = u16(bytes, p);
    if ((version & 0x0f0f) === 0x0a0a) continue; // GREASE (RFC 8701)
    if (version > best && version <= 0x0304) best = version;
  }
  return best;
}

/** True when the bytes present (fewer than 5) could begin a handshake record. */
function plausibleRecordStart(bytes: Uint8Array, p: number, end: number): boolean {
  if (p >= end) return true;
  if (bytes[p] !== CONTENT_HANDSHAKE) return false;
  if (p + 1 < end && bytes[p + 1] !== 3) return false;
  return !(p + 2 < end && bytes[p + 2] > 4);
}

/** Copies bytes[from, to) after `gathered` bytes of scratch; -1 past the ClientHello cap. */
function append(bytes: Uint8Array, from: number, to: number, gathered: number): number {
  const total = gathered + (to - from);
  if (total > MAX_CLIENT_HELLO + MAX_RECORD) return -1;
  if (total > scratch.length) {
    const grown = new Uint8Array(Math.max(total, scratch.length * 2));
    grown.set(scratch.subarray(0, gathered));
    scratch = grown;
  }
  scratch.set(bytes.subarray(from, to), gathered);
  return total;
}

/** The fields of a ClientHello ended early by a record of another kind, or NotTls. */
function partial(gathered: number, messageLength: number): TlsStreamResult {
  if (messageLength < 0) return NOT_TLS;
  const hello = parseClientHelloBody(scratch, 4, Math.min(gathered, messageLength), false);
  return hello ? done(hello) : NOT_TLS;
}

function done(hello: ClientHello | null): TlsStreamResult {
  return hello ? { status: TlsStatus.Done, needBytes: 0, hello } : NOT_TLS;
}

function needMore(needBytes: number): TlsStreamResult {
  return { status: TlsStatus.NeedMore, needBytes, hello: null };
}
