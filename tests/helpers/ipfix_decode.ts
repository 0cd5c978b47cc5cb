// Decodes IPFIX messages with tshark (Wireshark's cflow dissector), for checking the encoder.
//
// The messages are wrapped in IPv4/UDP frames to port 4739 in a raw-IP pcap, and tshark
// prints them as JSON with duplicate keys merged into arrays (a biflow record has two
// "cflow.octets": forward, then reverse, in template order).

import { runProcess } from "./process.ts";
import { PcapWriter } from "./pcap_file.ts";

/** LINKTYPE_RAW: frames start at the IP header. */
const LINKTYPE_RAW = 101;

/** One decoded data record: tshark field name -> value, or values when a field repeats. */
export type DecodedRecord = Record<string, string | string[]>;

/** One decoded message: its header fields and its data records, in order. */
export interface DecodedMessage {
  header: Record<string, string>;
  /** Template ids of the template sets, in order. */
  templates: string[];
  records: { setId: number; fields: DecodedRecord }[];
}

/** Writes `messages` as UDP datagrams from 127.0.0.1:40000 to 127.0.0.1:4739. */
export function writeIpfixPcap(path: string, messages: Uint8Array[], tsSec = 1700000000): void {
  const writer = new PcapWriter(path, LINKTYPE_RAW);
  for (const payload of messages) {
    const frame = new Uint8Array(28 + payload.length);
    const view = new DataView(frame.buffer);
    view.setUint8(0, 0x45); // IPv4, 20-byte header
    view.setUint16(2, frame.length);
    view.setUint8(8, 64); // TTL
    view.setUint8(9, 17); // UDP
    view.setUint32(12, 0x7f000001);
    view.setUint32(16, 0x7f000001);
    view.setUint16(20, 40000);
    view.setUint16(22, 4739);
    view.setUint16(24, 8 + payload.length);
    frame.set(payload, 28);
    writer.write(tsSec, 0, frame);
  }
  writer.close();
}

/** Decodes every message of `messages` with tshark; throws (loudly) when tshark is missing. */
export async function decodeIpfix(messages: Uint8Array[]): Promise<DecodedMessage[]> {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/ipfix.pcap`;
    writeIpfixPcap(path, messages);
    let result;
    try {
      result = await runProcess("tshark", [
        "-r",
        path,
        "-d",
        "udp.port==4739,cflow",
        "-T",
        "json",
        "--no-duplicate-keys",
      ], { timeoutMs: 60_000 });
    } catch (error) {
      throw new Error(`tshark is needed to decode IPFIX (apt-get install tshark): ${error}`);
    }
    if (result.code !== 0) throw new Error(`tshark failed: ${result.stderr}`);
    const packets = JSON.parse(result.stdout) as { _source: { layers: { cflow: unknown } } }[];
    return packets.map((p) => toMessage(p._source.layers.cflow as Record<string, unknown>));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function toMessage(cflow: Record<string, unknown>): DecodedMessage {
  const header: Record<string, string> = {};
  const templates: string[] = [];
  const records: DecodedMessage["records"] = [];
  for (const [key, value] of Object.entries(cflow)) {
    if (typeof value === "string") header[key] = value;
    if (key === "cflow.timestamp_tree") {
      header["cflow.exporttime"] = (value as Record<string, string>)["cflow.exporttime"];
    }
    if (!key.startsWith("Set ")) continue;
    const set = value as Record<string, unknown>;
    const setId = Number(set["cflow.flowset_id"]);
    if (setId === 2) {
      for (const [k, v] of Object.entries(set)) {
        if (k.startsWith("Template (")) {
          templates.push((v as Record<string, string>)["cflow.template_id"]);
        }
      }
      continue;
    }
    for (const [k, v] of Object.entries(set)) {
      if (k.startsWith("Flow ")) records.push({ setId, fields: flatten(v as DecodedRecord) });
    }
  }
  return { header, templates, records };
}

/** Lifts the start and end times out of tshark's "timedelta_tree". */
function flatten(record: DecodedRecord): DecodedRecord {
  const out: DecodedRecord = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === "cflow.timedelta_tree") {
      Object.assign(out, value as unknown as DecodedRecord);
    } else {
      out[key] = value;
    }
  }
  return out;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Epoch milliseconds of tshark's "Nov 14, 2023 22:13:20.123000000 UTC". */
export function tsharkTimeMs(text: string): number {
  const m = /^(\w{3}) +(\d+), (\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{3})\d* UTC$/.exec(text);
  if (!m) throw new SyntaxError(`Unexpected tshark time "${text}"`);
  const [, month, day, year, h, min, s, ms] = m;
  return Date.UTC(+year, MONTHS.indexOf(month), +day, +h, +min, +s, +ms);
}
