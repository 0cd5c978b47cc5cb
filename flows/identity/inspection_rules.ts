// When FlowInspector counts a name as confirmed by the server, and when a flow has nothing
// more to tell: the rules, apart from the inspector's state keeping.

import { Protocol } from "../../capture/payload/app_protocol.ts";
import { isHttpResponse } from "../../capture/payload/http_request.ts";
import { NameSource } from "./passive_dns.ts";

/**
 * True when a server-side payload answers the handshake that carried a name from `source`:
 * a TLS handshake record (ServerHello), a QUIC long-header packet, an HTTP status line.
 */
export function serverConfirms(
  source: number,
  bytes: Uint8Array,
  offset: number,
  length: number,
): boolean {
  if (length <= 0) return false;
  if (source === NameSource.Sni) return bytes[offset] === 22;
  if (source === NameSource.Quic) return (bytes[offset] & 0x80) !== 0;
  if (source === NameSource.Http) return isHttpResponse(bytes, offset, length);
  return false;
}

/** Protocols whose flows never carry a name: once known, inspection stops. */
const NAMELESS = new Set<number>([
  Protocol.Ssh,
  Protocol.Rdp,
  Protocol.Smb,
  Protocol.BitTorrent,
  Protocol.WireGuard,
  Protocol.Ntp,
  Protocol.Postgres,
  Protocol.Mysql,
]);

/**
 * True for a name a server gave itself (a mail greeting, a STUN realm): a name the client asks
 * for later in the flow (the SNI of a ClientHello after STARTTLS) replaces it, as in nDPI.
 */
export function selfGiven(source: number): boolean {
  return source === NameSource.Greeting || source === NameSource.StunRealm;
}

/**
 * True when a flow named (`named`) from `current` takes a name found from `incoming`: a first
 * name; a name the client asks for over one the server gave itself; a later DNS question over an
 * earlier one (nDPI keeps the last it reads; inspection ends at the first answer, so the name is
 * the question answered: a DNS tunnel's retried queries name the flow by the one that got through).
 */
export function takesName(named: boolean, current: number, incoming: number): boolean {
  return !named || (selfGiven(current) && !selfGiven(incoming)) ||
    (incoming === NameSource.Dns &&
      (current === NameSource.Dns || current === NameSource.DnsAnswer));
}

/** What the inspector knows of a flow, for nothingMoreToLearn(). */
export interface FlowFacts {
  named: boolean;
  /** The server answered the handshake (TLS, QUIC, HTTP). */
  confirmed: boolean;
  /** A DNS response was read. */
  answered: boolean;
  source: number;
  protocol: number;
}

/**
 * True when nothing more can be learned: a named handshake the server answered, a DNS exchange
 * with its response, any other name but DHCP's and a mail greeting's, or a protocol that carries
 * none.
 */
export function nothingMoreToLearn(f: FlowFacts): boolean {
  if (!f.named) return NAMELESS.has(f.protocol);
  if (f.source === NameSource.Sni || f.source === NameSource.Quic || f.source === NameSource.Http) {
    return f.confirmed;
  }
  // DNS, mDNS and LLMNR: a later question may replace the name (takesName()) until an answer.
  if (f.source === NameSource.Dns || f.source === NameSource.DnsAnswer) return f.answered;
  // A mail session may STARTTLS and send a ClientHello with the name the client wants.
  if (f.source === NameSource.Greeting) return false;
  // A DHCP flow's later messages may come from other clients (see FlowInspector.inspect()).
  return f.protocol !== Protocol.Dhcp;
}
