// Per-frame classification by the outermost IP header, as a non-decapsulating flow monitor sees
// frames: the EXPECTED_OUTER.csv counts from tshark's per-frame fields (defragmentation off).

/** One frame as tshark prints it: protocol stack and the first occurrence of each field. */
export interface TsharkFrame {
  /** frame.protocols split at ":", e.g. ["eth", "ethertype", "ip", "udp", "dns"]. */
  protocols: string[];
  len: number;
  /** frame.time_epoch text, e.g. "1300475167.096535000". */
  time: string;
  ip4: [string, string];
  ip6: [string, string];
  tcpPorts: [string, string];
  udpPorts: [string, string];
  ip4More: boolean;
  ip4Offset: number;
  ip6More: boolean;
  ip6Offset: number;
  /** tshark flagged the frame as malformed. */
  malformed: boolean;
}

/** EXPECTED_OUTER.csv's outer-header columns, in file order. */
export interface OuterCounts {
  non_ip: number;
  ipv4_outer: number;
  ipv6_outer: number;
  tcp_outer: number;
  udp_outer: number;
  icmp_outer: number;
  other_l4_outer: number;
  ip_fragments: number;
  nonfirst_fragments: number;
  flows_tcpudp_5tuple: number;
  icmp_addr_pairs: number;
}

/**
 * Classifies each frame by its first IPv4/IPv6 header and the protocol after it (IPv6
 * extension headers skipped). Non-first fragments count as such and not as TCP/UDP/other;
 * first fragments carry their L4 header and count as TCP/UDP. The addresses and ports are the
 * first occurrence of each field, which is the outermost header's.
 */
export function outerCounts(frames: TsharkFrame[]): OuterCounts {
  const counts: OuterCounts = {
    non_ip: 0,
    ipv4_outer: 0,
    ipv6_outer: 0,
    tcp_outer: 0,
    udp_outer: 0,
    icmp_outer: 0,
    other_l4_outer: 0,
    ip_fragments: 0,
    nonfirst_fragments: 0,
    flows_tcpudp_5tuple: 0,
    icmp_addr_pairs: 0,
  };
  const tuples = new Set<string>();
  const icmpPairs = new Set<string>();
  for (const frame of frames) {
    const stack = frame.protocols;
    const at = stack.findIndex((p) => p === "ip" || p === "ipv6");
    if (at < 0) {
      counts.non_ip++;
      continue;
    }
    const v6 = stack[at] === "ipv6";
    if (v6) counts.ipv6_outer++;
    else counts.ipv4_outer++;
    let next = at + 1;
    while (next < stack.length && stack[next].startsWith("ipv6.")) next++; // extension headers
    // The outer header's fragment fields: IPv4's own, or IPv6's fragment extension header.
    const ip6Fragment = v6 && stack.slice(at + 1, next).includes("ipv6.fraghdr");
    const more = v6 ? ip6Fragment && frame.ip6More : frame.ip4More;
    const offset = v6 ? (ip6Fragment ? frame.ip6Offset : 0) : frame.ip4Offset;
    if (more || offset > 0) counts.ip_fragments++;
    if (offset > 0) {
      counts.nonfirst_fragments++;
      continue;
    }
    const [src, dst] = v6 ? frame.ip6 : frame.ip4;
    const l4 = stack[next];
    if (l4 === "tcp" || l4 === "udp") {
      if (l4 === "tcp") counts.tcp_outer++;
      else counts.udp_outer++;
      const [sport, dport] = l4 === "tcp" ? frame.tcpPorts : frame.udpPorts;
      const ends = [`${src}|${sport}`, `${dst}|${dport}`].sort();
      tuples.add(`${l4}|${ends.join("|")}`);
    } else if (l4 === "icmp" || l4 === "icmpv6") {
      counts.icmp_outer++;
      icmpPairs.add([src, dst].sort().join("|"));
    } else {
      counts.other_l4_outer++;
    }
  }
  counts.flows_tcpudp_5tuple = tuples.size;
  counts.icmp_addr_pairs = icmpPairs.size;
  return counts;
}
