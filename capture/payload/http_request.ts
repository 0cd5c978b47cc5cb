// Reads an HTTP/1.x request line and its Host header from the client's first bytes (also SSDP,
// which is HTTP over UDP). Nothing here throws or reads outside the given range.

import { asciiName } from "./name_text.ts";

/** What parseHttpRequest() concluded. */
export const HttpStatus = {
  NotHttp: 0,
  /** A request has begun but the bytes end before its Host header or the end of its headers. */
  NeedMore: 1,
  Done: 2,
} as const;

/** The parts of a request this project uses. */
export interface HttpRequest {
  method: string;
  /** The request target as sent, cut at 256 characters. */
  target: string;
  /**
   * The host of the Host header (lower-cased, without its port), else of the authority of an
   * absolute-form or CONNECT target; null when there is neither.
   */
  host: string | null;
  /** The Host header value as sent (lower-cased, port kept: SSDP names are "addr:port"). */
  hostHeader: string | null;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minorVersion: number;
}

/** The answer of parseHttpRequest(). */
export interface HttpResult {
  status: number;
  request: HttpRequest | null;
}

/** Methods recognised (RFC 9110, WebDAV, and the SSDP/GENA ones used over UDP). */
const METHODS = [
  "GET",
  "POST",
  "HEAD",
  "PUT",
  "DELETE",
  "OPTIONS",
  "CONNECT",
  "PATCH",
  "TRACE",
  "PROPFIND",
  "PROPPATCH",
  "MKCOL",
  "COPY",
  "MOVE",
  "LOCK",
  "UNLOCK",
  "REPORT",
  "SEARCH",
  "M-SEARCH",
  "NOTIFY",
  "SUBSCRIBE",
  "UNSUBSCRIBE",
];
const LONGEST_METHOD = 11;
const MAX_TARGET_KEPT = 256;
const NOT_HTTP: HttpResult = Object.freeze({ status: HttpStatus.NotHttp, request: null });
const NEED_MORE: HttpResult = Object.freeze({ status: HttpStatus.NeedMore, request: null });

/**
 * True for a request only a proxy is sent (RFC 9112 3.2.2, 3.2.3): a CONNECT, or a target in
 * absolute form ("http://site/"). Its Host names the site behind the proxy, not the proxy.
 */
export function isProxyRequest(request: HttpRequest): boolean {
  return request.method === "CONNECT" || /^[a-z][a-z0-9+.-]*:\/\//i.test(request.target);
}

/** Parses an HTTP/1.x request starting at `bytes[offset]`, within `length` bytes. */
export function parseHttpRequest(bytes: Uint8Array, offset: number, length: number): HttpResult {
  const end = Math.min(offset + length, bytes.length);
  // Method: upper-case letters and '-', then one space.
  let p = offset;
  while (p < end && p - offset <= LONGEST_METHOD && isMethodChar(bytes[p])) p++;
  if (p === end) return methodPrefix(bytes, offset, p) ? NEED_MORE : NOT_HTTP;
  if (bytes[p] !== 0x20) return NOT_HTTP;
  const method = String.fromCharCode(...bytes.subarray(offset, p));
  if (!METHODS.includes(method)) return NOT_HTTP;
  // Target: up to the next space; then "HTTP/1.x" and the line end.
  const targetStart = ++p;
  while (p < end && bytes[p] > 0x20 && bytes[p] < 0x7f) p++;
  if (p === end) return NEED_MORE;
  if (bytes[p] !== 0x20 || p === targetStart) return NOT_HTTP;
  const targetEnd = p++;
  if (end - p < 8) return startsWith(bytes, p, end, "HTTP/1.") ? NEED_MORE : NOT_HTTP;
  if (!startsWith(bytes, p, end, "HTTP/1.")) return NOT_HTTP;
  const minorVersion = bytes[p + 7] - 0x30;
  if (minorVersion !== 0 && minorVersion !== 1) return NOT_HTTP;
  p += 8;
  const target = String.fromCharCode(
    ...bytes.subarray(targetStart, Math.min(targetEnd, targetStart + MAX_TARGET_KEPT)),
  );
  const request: HttpRequest = { method, target, host: null, hostHeader: null, minorVersion };
  p = afterLineEnd(bytes, p, end);
  if (p < 0) return p === -1 ? NEED_MORE : NOT_HTTP;
  // Headers, until the empty line.
  for (;;) {
    if (p >= end) return NEED_MORE;
    const lineStart = p;
    while (p < end && bytes[p] !== 0x0a) p++;
    if (p === end) return NEED_MORE;
    const lineEnd = p > lineStart && bytes[p - 1] === 0x0d ? p - 1 : p;
    p++;
    if (lineEnd === lineStart) break; // end of headers
    if (isHostHeader(bytes, lineStart, lineEnd)) {
      let v = lineStart + 5;
      let w = lineEnd;
      while (v < w && (bytes[v] === 0x20 || bytes[v] === 0x09)) v++;
      while (w > v && (bytes[w - 1] === 0x20 || bytes[w - 1] === 0x09)) w--;
      request.hostHeader = asciiName(bytes, v, w - v);
      request.host = request.hostHeader && withoutPort(request.hostHeader);
      return { status: HttpStatus.Done, request };
    }
  }
  request.host = authorityOf(method, request.target);
  return { status: HttpStatus.Done, request };
}

/** True when the bytes begin an HTTP/1.x response status line ("HTTP/1.1 200"). */
export function isHttpResponse(bytes: Uint8Array, offset: number, length: number): boolean {
  const end = Math.min(offset + length, bytes.length);
  if (end - offset < 12 || !startsWith(bytes, offset, end, "HTTP/1.")) return false;
  const digit = (i: number) => bytes[offset + i] >= 0x30 && bytes[offset + i] <= 0x39;
  return bytes[offset + 8] === 0x20 && digit(9) && digit(10) && digit(11);
}

/** The host of "http://host:port/path" or of a CONNECT "host:port", lower-cased; else null. */
function authorityOf(method: string, target: string): string | null {
  let authority = "";
  if (method === "CONNECT") authority = target;
  else if (/^https?:\/\//i.test(target)) {
    authority = target.replace(/^https?:\/\//i, "").split("/")[0];
  }
  if (!authority) return null;
  const bytes = new TextEncoder().encode(authority);
  const host = asciiName(bytes, 0, bytes.length);
  return host && withoutPort(host);
}

/** "host:8080" -> "host", "[2001:db8::1]:80" -> "[2001:db8::1]"; a bare IPv6 literal stays. */
function withoutPort(host: string): string {
  const colon = host.lastIndexOf(":");
  if (colon < 0 || !/^\d+$/.test(host.slice(colon + 1))) return host;
  if (host.startsWith("[")) return host[colon - 1] === "]" ? host.slice(0, colon) : host;
  return host.indexOf(":") === colon ? host.slice(0, colon) : host;
}

function isMethodChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x2d;
}

/** True when bytes[from, to) is the start of a known method (so more bytes may complete it). */
function methodPrefix(bytes: Uint8Array, from: number, to: number): boolean {
  if (to === from) return true;
  const text = String.fromCharCode(...bytes.subarray(from, to));
  return METHODS.some((m) => m.startsWith(text));
}

/** "Host:" at the start of a header line, any case. */
function isHostHeader(bytes: Uint8Array, p: number, end: number): boolean {
  return end - p >= 5 && (bytes[p] | 0x20) === 0x68 && (bytes[p + 1] | 0x20) === 0x6f &&
    (bytes[p + 2] | 0x20) === 0x73 && (bytes[p + 3] | 0x20) === 0x74 && bytes[p + 4] === 0x3a;
}

/** Position after CRLF or LF at `p`; -1 when the bytes end first, -2 when something else follows. */
function afterLineEnd(bytes: Uint8Array, p: number, end: number): number {
  if (p < end && bytes[p] === 0x0d) p++;
  if (p >= end) return -1;
  return bytes[p] === 0x0a ? p + 1 : -2;
}

function startsWith(bytes: Uint8Array, p: number, end: number, text: string): boolean {
  const n = Math.min(text.length, end - p);
  for (let i = 0; i < n; i++) if (bytes[p + i] !== text.charCodeAt(i)) return false;
  return true;
}
