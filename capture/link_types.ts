// The table of link types Netwatch decodes, keyed by the DLT value libpcap reports.

/** Which link-layer decoder a link type uses. */
export const LinkDecoder = {
  /** No decoder: packets are counted as undecoded. */
  None: 0,
  Ethernet: 1,
  /** Linux cooked capture v1, used by the "any" device. */
  LinuxSll: 2,
  /** Linux cooked capture v2. */
  LinuxSll2: 3,
  /** Raw IP, version taken from the first nibble. */
  RawIp: 4,
  RawIpv4: 5,
  RawIpv6: 6,
  /** BSD loopback: a 4-byte address family in the capturing host's byte order. */
  Null: 7,
  /** OpenBSD loopback: the same in network byte order. */
  Loop: 8,
  /** Linux netfilter NFLOG: TLVs, one of which carries the IP packet. */
  Nflog: 9,
  /** PPP, address and control bytes optional. */
  Ppp: 10,
  /** PPP after one direction byte. */
  PppWithDirection: 11,
  /** PPP in HDLC-like framing, or Cisco HDLC (told by the address byte). */
  PppSerial: 12,
  /** Cisco HDLC: address, control, ethertype. */
  CiscoHdlc: 13,
  /** Cisco HDLC after one direction byte. */
  CiscoHdlcWithDirection: 14,
  /** PPPoE session header, then PPP. */
  PppEther: 15,
  /** IEEE 802.11 frames. */
  Ieee80211: 16,
  /** Radiotap header, then an 802.11 frame. */
  Radiotap: 17,
  /** PPI header, then Ethernet or 802.11. */
  Ppi: 18,
} as const;

/** A link type: its DLT value, its pcap name and the decoder that handles it. */
export interface LinkType {
  readonly dlt: number;
  readonly name: string;
  readonly decoder: number;
}

const DECODED: readonly LinkType[] = [
  { dlt: 0, name: "NULL", decoder: LinkDecoder.Null },
  { dlt: 1, name: "EN10MB", decoder: LinkDecoder.Ethernet },
  { dlt: 9, name: "PPP", decoder: LinkDecoder.Ppp },
  { dlt: 12, name: "RAW", decoder: LinkDecoder.RawIp },
  { dlt: 14, name: "RAW", decoder: LinkDecoder.RawIp }, // DLT_RAW on OpenBSD
  { dlt: 50, name: "PPP_SERIAL", decoder: LinkDecoder.PppSerial },
  { dlt: 51, name: "PPP_ETHER", decoder: LinkDecoder.PppEther },
  { dlt: 101, name: "RAW", decoder: LinkDecoder.RawIp }, // LINKTYPE_RAW, if passed through
  { dlt: 104, name: "C_HDLC", decoder: LinkDecoder.CiscoHdlc },
  { dlt: 105, name: "IEEE802_11", decoder: LinkDecoder.Ieee80211 },
  { dlt: 108, name: "LOOP", decoder: LinkDecoder.Loop },
  { dlt: 113, name: "LINUX_SLL", decoder: LinkDecoder.LinuxSll },
  { dlt: 127, name: "IEEE802_11_RADIO", decoder: LinkDecoder.Radiotap },
  { dlt: 192, name: "PPI", decoder: LinkDecoder.Ppi },
  { dlt: 204, name: "PPP_WITH_DIR", decoder: LinkDecoder.PppWithDirection },
  { dlt: 205, name: "C_HDLC_WITH_DIR", decoder: LinkDecoder.CiscoHdlcWithDirection },
  { dlt: 228, name: "IPV4", decoder: LinkDecoder.RawIpv4 },
  { dlt: 229, name: "IPV6", decoder: LinkDecoder.RawIpv6 },
  { dlt: 239, name: "NFLOG", decoder: LinkDecoder.Nflog },
  { dlt: 276, name: "LINUX_SLL2", decoder: LinkDecoder.LinuxSll2 },
];

/** Names of common link types Netwatch counts but does not decode, for messages and reports. */
const UNDECODED_NAMES: Readonly<Record<number, string>> = {
  8: "SLIP",
  107: "FRELAY",
  123: "SUNATM",
  149: "PKTAP",
  182: "MFR",
};

const BY_DLT = new Map(DECODED.map((t) => [t.dlt, t]));

/** Looks up a DLT value. Unknown values get decoder None and a name like `DLT_3145728`. */
export function linkType(dlt: number): LinkType {
  return BY_DLT.get(dlt) ??
    { dlt, name: UNDECODED_NAMES[dlt] ?? `DLT_${dlt}`, decoder: LinkDecoder.None };
}
