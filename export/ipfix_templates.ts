// The IPFIX templates Netwatch exports: which Information Elements, in which order, with which ids.
//
// Elements are IANA's (RFC 7012 and the IANA "IPFIX Information Elements" registry) except:
// - RFC 5103 reverse elements: the forward element's id under PEN 29305, in biflow mode only.
// - The server name and tunnel from the identity work, which IANA has no element for. They are
//   enterprise-specific elements, and RFC 7011 section 3.2 says the enterprise number names the
//   authority that defined them. Netwatch has no IANA Private Enterprise Number yet (they are
//   free: https://pen.iana.org), and borrowing another's number, or RFC 5612's documentation
//   number 32473, would misname the definer. So they go out only under a PEN the operator
//   gives (`?pen=N` on the URL: their own organisation's), as element 1 (serverName) and 2
//   (tunnelType) of that number; without one, they are not exported. The application name
//   needs none: IANA's applicationName (96) carries it.

/** IANA Information Element ids used here. */
export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  tcpControlBits: 6,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  ingressInterface: 10,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  icmpTypeCodeIPv4: 32,
  vlanId: 58,
  ipVersion: 60,
  applicationName: 96,
  flowEndReason: 136,
  icmpTypeCodeIPv6: 139,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
  observationDomainId: 149,
  biflowDirection: 239,
  samplingPacketInterval: 305,
  samplingPacketSpace: 306,
} as const;

/** RFC 5103's Private Enterprise Number for reverse Information Elements. */
export const REVERSE_PEN = 29305;

/** Enterprise-specific element ids under the operator's PEN (see the top of this file). */
export const ENTERPRISE_IE = { serverName: 1, tunnelType: 2 } as const;

/** Field length meaning "variable length" in a template (RFC 7011 section 7). */
export const VARIABLE_LENGTH = 65535;

/** What a field holds; the encoder writes each from the record. */
export type FieldValue =
  | "start"
  | "end"
  | "src"
  | "dst"
  | "src_port"
  | "dst_port"
  | "proto"
  | "flags"
  | "octets"
  | "packets"
  | "icmp_type_code"
  | "vlan"
  | "ip_version"
  | "ingress_interface"
  | "end_reason"
  | "reverse_octets"
  | "reverse_packets"
  | "reverse_flags"
  | "biflow_direction"
  | "app"
  | "server_name"
  | "tunnel";

/** One field specifier of a template. */
export interface Field {
  id: number;
  /** Octets, or VARIABLE_LENGTH. */
  length: number;
  /** Enterprise number (0: IANA). */
  pen: number;
  value: FieldValue;
}

/** A template: its id, the address family it is for, and its fields in order. */
export interface Template {
  id: number;
  ipVersion: 4 | 6;
  /** Has the variable-length name fields. */
  named: boolean;
  fields: Field[];
}

/** Options that decide the template set. */
export interface TemplateOptions {
  /** RFC 5103 biflow records (one per flow) instead of two one-way records. */
  biflow: boolean;
  /** The operator's PEN for the server name and tunnel elements, or 0 to leave them out. */
  pen: number;
}

const iana = (id: number, length: number, value: FieldValue): Field => ({
  id,
  length,
  pen: 0,
  value,
});

/**
 * The templates for `options`, indexed by templateIndex(). Ids 256-259 are one-way records,
 * 260-263 biflow records, so a collector that kept another mode's templates is never confused.
 */
export function buildTemplates(options: TemplateOptions): Template[] {
  const templates: Template[] = [];
  for (const named of [false, true]) {
    for (const ipVersion of [4, 6] as const) {
      const v6 = ipVersion === 6;
      const fields: Field[] = [
        iana(IE.flowStartMilliseconds, 8, "start"),
        iana(IE.flowEndMilliseconds, 8, "end"),
        iana(v6 ? IE.sourceIPv6Address : IE.sourceIPv4Address, v6 ? 16 : 4, "src"),
        iana(v6 ? IE.destinationIPv6Address : IE.destinationIPv4Address, v6 ? 16 : 4, "dst"),
        iana(IE.sourceTransportPort, 2, "src_port"),
        iana(IE.destinationTransportPort, 2, "dst_port"),
        iana(IE.protocolIdentifier, 1, "proto"),
      ];
      if (options.biflow) {
        // Before the forward flags: nfdump maps only reverse counters and reads any other
        // reverse element as its forward twin, so the forward flags must come later and win.
        fields.push({ id: IE.tcpControlBits, length: 1, pen: REVERSE_PEN, value: "reverse_flags" });
      }
      fields.push(
        // tcpControlBits is 16 bits since RFC 7125; Netwatch keeps the 8 classic flags, sent in
        // one octet (reduced-size encoding, RFC 7011 section 6.2), which older collectors expect.
        iana(IE.tcpControlBits, 1, "flags"),
        iana(IE.octetDeltaCount, 8, "octets"),
        iana(IE.packetDeltaCount, 8, "packets"),
        iana(v6 ? IE.icmpTypeCodeIPv6 : IE.icmpTypeCodeIPv4, 2, "icmp_type_code"),
        iana(IE.vlanId, 2, "vlan"),
        iana(IE.ipVersion, 1, "ip_version"),
        // The interface Netwatch captures on: collectors such as Akvorado drop flows that
        // name no interface at all.
        iana(IE.ingressInterface, 4, "ingress_interface"),
        iana(IE.flowEndReason, 1, "end_reason"),
      );
      if (options.biflow) {
        fields.push(
          { id: IE.octetDeltaCount, length: 8, pen: REVERSE_PEN, value: "reverse_octets" },
          { id: IE.packetDeltaCount, length: 8, pen: REVERSE_PEN, value: "reverse_packets" },
          iana(IE.biflowDirection, 1, "biflow_direction"),
        );
      }
      if (named) {
        fields.push(iana(IE.applicationName, VARIABLE_LENGTH, "app"));
        if (options.pen > 0) {
          fields.push(
            {
              id: ENTERPRISE_IE.serverName,
              length: VARIABLE_LENGTH,
              pen: options.pen,
              value: "server_name",
            },
            {
              id: ENTERPRISE_IE.tunnelType,
              length: VARIABLE_LENGTH,
              pen: options.pen,
              value: "tunnel",
            },
          );
        }
      }
      const index = templates.length;
      templates.push({ id: (options.biflow ? 260 : 256) + index, ipVersion, named, fields });
    }
  }
  return templates;
}

/** Index into buildTemplates()'s list of the template for an address family and naming. */
export function templateIndex(ipVersion: 4 | 6, named: boolean): number {
  return (named ? 2 : 0) + (ipVersion === 6 ? 1 : 0);
}

/**
 * The options template that says Netwatch does not sample: scope observationDomainId, then
 * samplingPacketInterval 1 and samplingPacketSpace 0 (RFC 5477: every packet is selected).
 * Collectors that need a sampling rate (Akvorado drops flows without one) read 1 from it.
 */
export const SAMPLING_OPTIONS = {
  id: 270,
  scope: { id: IE.observationDomainId, length: 4 },
  fields: [
    { id: IE.samplingPacketInterval, length: 4, value: 1 },
    { id: IE.samplingPacketSpace, length: 4, value: 0 },
  ],
} as const;
