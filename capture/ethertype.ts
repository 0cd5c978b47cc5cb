// The protocol types the link decoders follow: ethertypes, and a few names beyond 16 bits for
// payloads that no ethertype names (IP told by its version nibble, an 802.11 frame).

/** Ethertypes and pseudo-types accepted by decodeEthertype() in decode_link.ts. */
export const EtherType = {
  Ipv4: 0x0800,
  Ipv6: 0x86dd,
  /** 802.1Q customer tag. */
  Vlan: 0x8100,
  /** 802.1ad service tag. */
  QinQ: 0x88a8,
  /** Pre-standard double tagging. */
  QinQOld: 0x9100,
  Mpls: 0x8847,
  MplsMulticast: 0x8848,
  PppoeSession: 0x8864,
  /** Transparent Ethernet bridging: a whole Ethernet frame (GRE, Geneve, VXLAN, CAPWAP). */
  Ethernet: 0x6558,
  /** A PPP frame, address and control optional (GRE version 1, PPP links). */
  Ppp: 0x880b,
  /** ERSPAN type I and II, as GRE names them. */
  ErspanII: 0x88be,
  ErspanIII: 0x22eb,
  /** Below this a 16-bit type field is an 802.3 length, and an LLC header follows. */
  Min: 0x0600,
  /** Pseudo-type: an IP packet whose version is only known from its first nibble. */
  IpByVersion: 0x10000,
  /** Pseudo-type: an IEEE 802.11 frame (data frames lead to IP through LLC/SNAP). */
  Ieee80211: 0x10001,
  /** Pseudo-type: an 802.11 frame from a CAPWAP tunnel, its frame control maybe byte-swapped. */
  Ieee80211Capwap: 0x10002,
} as const;
