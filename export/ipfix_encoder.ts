// IPFIX (RFC 7011) message encoder: template sets and data sets, split into size-bounded messages.
//
// Written by hand rather than taken from a library: the wire format is a 16-byte header and
// length-prefixed sets of fixed-layout records, a few hundred lines with the templates, and
// the npm IPFIX packages are decoders/collectors (or unmaintained, or bound to Node sockets).
// Owning it lets the tests decode every field back with tshark and real collectors.
//
// Message layout (all big-endian):
//   header   0 version (10)  2 length  4 export time (s)  8 sequence number  12 domain id
//   set      0 set id (2 = templates, >= 256 = data of that template)  2 length (with header)
//   template 0 template id  2 field count, then per field: id (bit 15 = enterprise) 2 length
//            [4 enterprise number]
// The sequence number counts the data records sent before the message in this transport
// session (mod 2^32): a collector sees a gap when messages are lost.

import { addressWordsOf } from "../flows/address_parse.ts";
import { protoNumber } from "../flows/flow_record.ts";
import {
  buildTemplates,
  type Field,
  SAMPLING_OPTIONS,
  type Template,
  templateIndex,
  VARIABLE_LENGTH,
} from "./ipfix_templates.ts";
import { type ExportFlow, FLOW_END_REASON } from "./types.ts";

/** Options of an IpfixEncoder. */
export interface IpfixEncoderOptions {
  observationDomainId: number;
  /** RFC 5103 biflow records instead of two one-way records per flow. */
  biflow: boolean;
  /** The operator's PEN for the server name and tunnel elements (0: not exported). */
  pen: number;
  /** Largest message, in octets (UDP: what fits the path MTU; at most 65535). */
  maxMessageBytes: number;
  /** ingressInterface of every record: the captured interface's index (0: unknown). */
  ingressInterface?: number;
}

const HEADER_BYTES = 16;
const SET_HEADER_BYTES = 4;
/** Longest string sent, in UTF-8 octets: keeps the one-octet length form and every record small. */
export const MAX_STRING_BYTES = 250;

/** ICMP reply type for a request type (the flow key holds the request type for both ways). */
const ICMP_REPLY: Record<number, number> = { 8: 0, 13: 14, 15: 16, 17: 18 };
const ICMPV6_REPLY: Record<number, number> = { 128: 129, 133: 134, 135: 136, 139: 140 };

/** Encodes ExportFlows as IPFIX messages for one transport session. */
export class IpfixEncoder {
  readonly options: IpfixEncoderOptions;
  readonly templates: Template[];
  /** Data records encoded so far in this session (the next message's sequence number). */
  sequence = 0;
  readonly #buffer: Uint8Array;
  readonly #view: DataView;
  readonly #text = new TextEncoder();
  /** Where #stringBytes measures a string's UTF-8 length, cut at MAX_STRING_BYTES. */
  readonly #scratch = new Uint8Array(MAX_STRING_BYTES);

  constructor(options: IpfixEncoderOptions) {
    if (options.maxMessageBytes < 512 || options.maxMessageBytes > 65535) {
      throw new RangeError(`IPFIX message size ${options.maxMessageBytes} is not in 512-65535`);
    }
    this.options = options;
    this.templates = buildTemplates(options);
    this.#buffer = new Uint8Array(options.maxMessageBytes);
    this.#view = new DataView(this.#buffer.buffer);
  }

  /** Starts a new transport session (a TCP reconnect): sequence numbers start again at 0. */
  reset(): void {
    this.sequence = 0;
  }

  /**
   * A message holding every template, to send before data and again periodically: the data
   * templates, the sampling options template and its one record (no sampling).
   */
  templateMessage(exportSec: number): Uint8Array {
    const view = this.#view;
    let at = HEADER_BYTES;
    let setStart = at;
    at += SET_HEADER_BYTES;
    for (const template of this.templates) {
      view.setUint16(at, template.id);
      view.setUint16(at + 2, template.fields.length);
      at += 4;
      for (const field of template.fields) {
        view.setUint16(at, field.pen ? field.id | 0x8000 : field.id);
        view.setUint16(at + 2, field.length);
        at += 4;
        if (field.pen) {
          view.setUint32(at, field.pen);
          at += 4;
        }
      }
    }
    view.setUint16(setStart, 2);
    view.setUint16(setStart + 2, at - setStart);
    // Options template set (3): template id, field count, scope field count, fields.
    const options = SAMPLING_OPTIONS;
    setStart = at;
    view.setUint16(at, 3);
    view.setUint16(at + 4, options.id);
    view.setUint16(at + 6, 1 + options.fields.length);
    view.setUint16(at + 8, 1);
    at += 10;
    for (const field of [options.scope, ...options.fields]) {
      view.setUint16(at, field.id);
      view.setUint16(at + 2, field.length);
      at += 4;
    }
    view.setUint16(setStart + 2, at - setStart);
    // Its data: this domain selects every packet.
    setStart = at;
    view.setUint16(at, options.id);
    view.setUint16(at + 2, SET_HEADER_BYTES + 4 * (1 + options.fields.length));
    view.setUint32(at + 4, this.options.observationDomainId >>> 0);
    at += 8;
    for (const field of options.fields) {
      view.setUint32(at, field.value);
      at += 4;
    }
    // The options record is a Data Record too: it counts in the sequence number.
    return this.#finish(at, exportSec, 1);
  }

  /** Data messages for `flows`: one or two records each, split to fit maxMessageBytes. */
  encode(flows: readonly ExportFlow[], exportSec: number): Uint8Array[] {
    const messages: Uint8Array[] = [];
    let at = HEADER_BYTES;
    let setStart = -1;
    let setTemplate: Template | undefined;
    let records = 0;
    const closeSet = () => {
      if (setStart >= 0) this.#view.setUint16(setStart + 2, at - setStart);
      setStart = -1;
      setTemplate = undefined;
    };
    // `forward`: the record is the client's packets (in biflow mode, both); else the server's.
    const emit = (flow: ExportFlow, forward: boolean) => {
      const template = this.#templateFor(flow);
      const size = this.#recordSize(template, flow);
      const needed = size + (setTemplate === template ? 0 : SET_HEADER_BYTES);
      if (at + needed > this.#buffer.length) {
        closeSet();
        messages.push(this.#finish(at, exportSec, records));
        at = HEADER_BYTES;
        records = 0;
      }
      if (setTemplate !== template) {
        closeSet();
        setStart = at;
        setTemplate = template;
        this.#view.setUint16(at, template.id);
        at += SET_HEADER_BYTES;
      }
      at = this.#writeRecord(at, template, flow, forward);
      records++;
    };
    for (const flow of flows) {
      if (this.options.biflow) {
        emit(flow, true);
        continue;
      }
      if (flow.packets_c2s > 0 || flow.packets_s2c === 0) emit(flow, true);
      if (flow.packets_s2c > 0) emit(flow, false);
    }
    closeSet();
    if (records > 0) messages.push(this.#finish(at, exportSec, records));
    return messages;
  }

  /** Writes the header of the message of `length` octets and returns a copy of it. */
  #finish(length: number, exportSec: number, records = 0): Uint8Array {
    const view = this.#view;
    view.setUint16(0, 10);
    view.setUint16(2, length);
    view.setUint32(4, Math.floor(exportSec) >>> 0);
    view.setUint32(8, this.sequence >>> 0);
    view.setUint32(12, this.options.observationDomainId >>> 0);
    this.sequence = (this.sequence + records) % 0x1_0000_0000;
    return this.#buffer.slice(0, length);
  }

  #templateFor(flow: ExportFlow): Template {
    const named = !!flow.app || (this.options.pen > 0 && !!(flow.server_name || flow.tunnel));
    return this.templates[templateIndex(flow.ip_version, named)];
  }

  #recordSize(template: Template, flow: ExportFlow): number {
    let size = 0;
    for (const field of template.fields) {
      size += field.length === VARIABLE_LENGTH
        ? 1 + this.#stringBytes(stringOf(flow, field))
        : field.length;
    }
    return size;
  }

  #stringBytes(text: string): number {
    return text === "" ? 0 : this.#text.encodeInto(text, this.#scratch).written;
  }

  #writeRecord(at: number, template: Template, flow: ExportFlow, forward: boolean): number {
    const view = this.#view;
    const proto = protoNumber(flow.proto);
    const icmp = proto === 1 || proto === 58;
    for (const field of template.fields) {
      switch (field.value) {
        case "start":
          writeUint64(view, at, Math.round(flow.first_ts * 1000));
          break;
        case "end":
          writeUint64(view, at, Math.round(flow.last_ts * 1000));
          break;
        case "src":
          writeAddress(view, at, forward ? flow.src_ip : flow.dst_ip, field.length);
          break;
        case "dst":
          writeAddress(view, at, forward ? flow.dst_ip : flow.src_ip, field.length);
          break;
        case "src_port":
          view.setUint16(at, icmp ? 0 : forward ? flow.src_port : flow.dst_port);
          break;
        case "dst_port":
          view.setUint16(at, icmp ? 0 : forward ? flow.dst_port : flow.src_port);
          break;
        case "proto":
          view.setUint8(at, proto < 0 ? 255 : proto);
          break;
        case "flags":
          view.setUint8(at, forward ? flow.tcp_flags_c2s : flow.tcp_flags_s2c);
          break;
        case "octets":
          writeUint64(view, at, forward ? flow.bytes_c2s : flow.bytes_s2c);
          break;
        case "packets":
          writeUint64(view, at, forward ? flow.packets_c2s : flow.packets_s2c);
          break;
        case "icmp_type_code":
          view.setUint16(at, icmp ? icmpTypeCode(flow, proto, forward) : 0);
          break;
        case "vlan":
          view.setUint16(at, flow.vlan ?? 0);
          break;
        case "ip_version":
          view.setUint8(at, flow.ip_version);
          break;
        case "ingress_interface":
          view.setUint32(at, this.options.ingressInterface ?? 0);
          break;
        case "end_reason":
          view.setUint8(at, FLOW_END_REASON[flow.end_reason]);
          break;
        case "reverse_octets":
          writeUint64(view, at, flow.bytes_s2c);
          break;
        case "reverse_packets":
          writeUint64(view, at, flow.packets_s2c);
          break;
        case "reverse_flags":
          view.setUint8(at, flow.tcp_flags_s2c);
          break;
        case "biflow_direction":
          // RFC 5103: 1 = the source is the initiator; 0 = arbitrary (no handshake was seen).
          view.setUint8(at, flow.state === "OTH" ? 0 : 1);
          break;
        default:
          at = this.#writeString(at, stringOf(flow, field));
          continue;
      }
      at += field.length;
    }
    return at;
  }

  /** Writes a variable-length string with its one-octet length; returns the next offset. */
  #writeString(at: number, text: string): number {
    const room = this.#buffer.subarray(at + 1, at + 1 + MAX_STRING_BYTES);
    const written = text === "" ? 0 : this.#text.encodeInto(text, room).written;
    this.#buffer[at] = written;
    return at + 1 + written;
  }
}

/** The text of a name field of `flow` ("" when absent). */
function stringOf(flow: ExportFlow, field: Field): string {
  if (field.value === "app") return flow.app ?? "";
  if (field.value === "server_name") return flow.server_name ?? "";
  return flow.tunnel ?? "";
}

/** icmpTypeCode of a direction: the client sent the request type, the server its reply. */
function icmpTypeCode(flow: ExportFlow, proto: number, forward: boolean): number {
  const type = flow.src_port & 255;
  const code = flow.dst_port & 255;
  const replies = proto === 1 ? ICMP_REPLY : ICMPV6_REPLY;
  return ((forward ? type : replies[type] ?? type) << 8) | code;
}

/** Writes a non-negative integer below 2^53 as an unsigned 64-bit big-endian number. */
function writeUint64(view: DataView, at: number, value: number): void {
  view.setUint32(at, Math.floor(value / 0x1_0000_0000));
  view.setUint32(at + 4, value >>> 0);
}

/** Writes an address as 4 (IPv4) or 16 (IPv6) octets; throws TypeError on bad text. */
function writeAddress(view: DataView, at: number, text: string, length: number): void {
  const parsed = addressWordsOf(text);
  if (!parsed || (length === 16) !== parsed.v6) {
    throw new TypeError(`Cannot export address "${text}" as a ${length}-octet address`);
  }
  for (let w = 0; w < length / 4; w++) view.setUint32(at + 4 * w, parsed.words[w]);
}
