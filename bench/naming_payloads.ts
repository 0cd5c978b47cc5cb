// Payloads that name a flow, for the benchmarks whose flows must go through payload inspection.

import { buildClientHello, toRecords } from "../tests/helpers/tls_hello.ts";

/** Distinct names the payloads ask for. */
export const NAMES = 64;

/**
 * Payloads that name a flow, back to back: NAMES DNS queries for "hostN.example.com" (UDP), then
 * NAMES TLS ClientHellos for the same names (TCP). offsets[k] and lengths[k] locate payload k.
 */
export function namingPayloads(): { raw: Uint8Array; offsets: number[]; lengths: number[] } {
  const parts: Uint8Array[] = [];
  for (let k = 0; k < NAMES; k++) {
    const labels = ["host" + k, "example", "com"].flatMap((l) => [
      l.length,
      ...new TextEncoder().encode(l),
    ]);
    parts.push(new Uint8Array([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]));
  }
  for (let k = 0; k < NAMES; k++) {
    parts.push(toRecords(buildClientHello({ sni: `host${k}.example.com` })));
  }
  const raw = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  const offsets: number[] = [];
  let at = 0;
  for (const p of parts) {
    raw.set(p, at);
    offsets.push(at);
    at += p.length;
  }
  return { raw, offsets, lengths: parts.map((p) => p.length) };
}
