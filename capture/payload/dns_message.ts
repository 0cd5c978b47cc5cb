// Reads a DNS message (UDP, or TCP with its 2-byte length prefix): the query name and the A,
// AAAA and CNAME answers with their TTLs. Also serves mDNS and LLMNR, which share the format.
//
// Names are read with every safeguard RFC 1035 leaves to the reader: a compression pointer must
// point backwards (which rules out loops and forward references), a label is at most 63 bytes,
// a name at most 255 bytes on the wire, reserved label types are rejected, and so is a label
// holding a control character or a dot. Nothing here throws or reads outside the given range.

import { u16, u32 } from "./bytes.ts";

/** One A, AAAA or CNAME answer. */
export interface DnsAnswer {
  /** Owner name of the record, lower-cased. */
  name: string;
  /** 1 (A), 28 (AAAA) or 5 (CNAME). */
  type: number;
  /** Seconds, as sent (unsigned 32-bit; callers clamp). */
  ttl: number;
  /** A and AAAA: the address as 32-bit words, network order (one word for IPv4, four for IPv6). */
  address?: number[];
  /** CNAME: the canonical name, lower-cased. */
  target?: string;
}

/** What parseDnsMessage() found. */
export interface DnsMessage {
  id: number;
  /** The QR bit: true for a response. */
  response: boolean;
  opcode: number;
  rcode: number;
  /** The first question's name ("" for the root, or when there is no question), lower-cased. */
  questionName: string;
  questionType: number;
  answers: DnsAnswer[];
  /** Owner name of the first answer of any type ("" when none): an mDNS answer has no question. */
  firstAnswerName: string;
  /** False when the answer section was cut short or held a record that could not be read. */
  complete: boolean;
}

/** Record types read from answers. */
export const DnsType = { A: 1, Cname: 5, Aaaa: 28 } as const;

const HEADER = 12;
const MAX_LABEL = 63;
/** RFC 1035 2.3.4: a name is at most 255 octets on the wire. */
const MAX_NAME_WIRE = 255;
/** Pointers followed per name; a backwards-only chain ends anyway, this bounds the work. */
const MAX_POINTERS = 32;
/** Questions and answers read: a unicast query has one question, an mDNS query dozens. */
const MAX_QUESTIONS = 64;
const MAX_ANSWERS = 64;
const CLASS_IN = 1;

/** Where a name read ended, for the caller to go on from. */
const cursor = { next: 0 };

/**
 * Parses the DNS message `bytes[offset, offset + length)`. Null when it is not a well-formed
 * DNS message: a header, a question whose name reads cleanly (or, in a response, an answer:
 * mDNS answers come without one), and sane counts.
 */
export function parseDnsMessage(
  bytes: Uint8Array,
  offset: number,
  length: number,
): DnsMessage | null {
  const start = offset;
  const end = Math.min(offset + length, bytes.length);
  if (offset < 0 || end - start < HEADER + 5) return null;
  // Header: id (2), flags (2), qdcount, ancount, nscount, arcount (2 each).
  const flags = u16(bytes, start + 2);
  const questions = u16(bytes, start + 4);
  const answers = u16(bytes, start + 6);
  const opcode = (flags >> 11) & 0x0f;
  const response = (flags & 0x8000) !== 0;
  if (questions > MAX_QUESTIONS || opcode > 6) return null;
  if (questions === 0 && (!response || answers === 0)) return null;
  const message: DnsMessage = {
    id: u16(bytes, start),
    response,
    opcode,
    rcode: flags & 0x0f,
    questionName: "",
    questionType: 0,
    answers: [],
    firstAnswerName: "",
    complete: true,
  };
  let p = start + HEADER;
  for (let q = 0; q < questions; q++) {
    const name = readName(bytes, start, end, p);
    if (name === null || cursor.next + 4 > end) return null;
    p = cursor.next;
    if (q === 0) {
      message.questionName = name;
      message.questionType = u16(bytes, p);
    }
    p += 4; // type, class
  }
  const count = Math.min(answers, MAX_ANSWERS);
  for (let a = 0; a < count; a++) {
    const name = readName(bytes, start, end, p);
    // Record: name, type (2), class (2), TTL (4), rdlength (2), rdata.
    if (name === null || cursor.next + 10 > end) {
      message.complete = false;
      break;
    }
    if (a === 0) message.firstAnswerName = name;
    p = cursor.next;
    const type = u16(bytes, p);
    const rrClass = u16(bytes, p + 2) & 0x7fff; // mDNS cache-flush bit
    const ttl = u32(bytes, p + 4);
    const size = u16(bytes, p + 8);
    const data = p + 10;
    if (data + size > end) {
      message.complete = false;
      break;
    }
    p = data + size;
    if (rrClass !== CLASS_IN) continue;
    if (type === DnsType.A && size === 4) {
      message.answers.push({ name, type, ttl, address: [u32(bytes, data)] });
    } else if (type === DnsType.Aaaa && size === 16) {
      const address = [u32(bytes, data), u32(bytes, data + 4), u32(bytes, data + 8)];
      address.push(u32(bytes, data + 12));
      message.answers.push({ name, type, ttl, address });
    } else if (type === DnsType.Cname) {
      const target = readName(bytes, start, data + size, data);
      if (target === null || cursor.next !== data + size) {
        message.complete = false;
        continue;
      }
      message.answers.push({ name, type, ttl, target });
    }
  }
  if (answers > MAX_ANSWERS) message.complete = false;
  // Without a question, only a readable answer makes this DNS.
  if (questions === 0 && message.firstAnswerName === "") return null;
  return message;
}

/** What parseDnsTcp() concluded. */
export interface DnsTcpResult {
  /** Stream bytes needed before calling again; 0 when `message` is set or the bytes are not DNS. */
  needBytes: number;
  message: DnsMessage | null;
}

/**
 * Parses the first DNS message of a TCP stream `bytes[offset, offset + length)` (2-byte length
 * prefix, RFC 1035 4.2.2). Asks for more while the message is incomplete.
 */
export function parseDnsTcp(bytes: Uint8Array, offset: number, length: number): DnsTcpResult {
  const end = Math.min(offset + length, bytes.length);
  if (end - offset < 2) return { needBytes: 2, message: null };
  const size = u16(bytes, offset);
  if (size < HEADER + 5) return { needBytes: 0, message: null };
  if (end - offset < 2 + size) return { needBytes: 2 + size, message: null };
  return { needBytes: 0, message: parseDnsMessage(bytes, offset + 2, size) };
}

/**
 * Reads the name at `p` of the message that starts at `start`, within `end`. Returns the
 * lower-cased dotted name ("" for the root) and sets `cursor.next` to the byte after the name
 * in place (after the first pointer, if any); null for a malformed name.
 */
function readName(bytes: Uint8Array, start: number, end: number, p: number): string | null {
  let text = "";
  let wire = 0;
  let pointers = 0;
  let next = -1;
  /** A pointer must land before this: before every label read so far. */
  let limit = p;
  for (;;) {
    if (p >= end) return null;
    const size = bytes[p];
    if (size === 0) {
      cursor.next = next === -1 ? p + 1 : next;
      return text;
    }
    const kind = size & 0xc0;
    if (kind === 0xc0) {
      if (p + 1 >= end || ++pointers > MAX_POINTERS) return null;
      const target = start + (((size & 0x3f) << 8) | bytes[p + 1]);
      if (target >= limit) return null; // forward or self reference: a possible loop
      if (next === -1) next = p + 2;
      limit = target;
      p = target;
      continue;
    }
    if (kind !== 0) return null; // 0x40 and 0x80 label types are reserved (RFC 6891)
    if (size > MAX_LABEL || p + 1 + size > end) return null;
    wire += size + 1;
    if (wire + 1 > MAX_NAME_WIRE) return null;
    if (text.length > 0) text += ".";
    for (let i = p + 1; i <= p + size; i++) {
      let c = bytes[i];
      // Printable ASCII only; a space is allowed inside (mDNS instance names), a dot is not.
      if (c < 0x20 || c >= 0x7f || c === 0x2e || (c === 0x20 && i === p + 1)) return null;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      text += String.fromCharCode(c);
    }
    p += 1 + size;
  }
}
