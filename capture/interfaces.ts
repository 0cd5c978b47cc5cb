// Lists capture interfaces (pcap_findalldevs) and picks the one an administrator means by default.

import { CaptureError } from "./capture_error.ts";
import { formatAddressBytes } from "./ip_address.ts";
import { libpcap, PCAP_ERRBUF_SIZE, readCString } from "./libpcap.ts";

/** One interface libpcap can capture on. */
export interface InterfaceInfo {
  name: string;
  description: string;
  /** IPv4 and IPv6 addresses, as text. */
  addresses: string[];
  loopback: boolean;
  up: boolean;
  running: boolean;
  wireless: boolean;
  /** True for the interface Netwatch captures on when none is named. */
  isDefault: boolean;
}

const PCAP_IF_LOOPBACK = 0x1;
const PCAP_IF_UP = 0x2;
const PCAP_IF_RUNNING = 0x4;
const PCAP_IF_WIRELESS = 0x8;
const AF_INET = 2;
const AF_INET6 = 10;
/** Pseudo-devices libpcap lists that never carry a host's own traffic. */
const PSEUDO_DEVICES = /^(any|nflog|nfqueue|dbus-|bluetooth|usbmon|dummy|lo$)/;

/** Every interface libpcap reports, with the default one marked. */
export function listInterfaces(): InterfaceInfo[] {
  const { pcap } = libpcap();
  const head = new BigUint64Array(1);
  const errbuf = new Uint8Array(PCAP_ERRBUF_SIZE);
  if (pcap.pcap_findalldevs(new Uint8Array(head.buffer), errbuf) < 0) {
    throw new CaptureError("failed", `Cannot list interfaces: ${readCString(errbuf)}`);
  }
  const list: InterfaceInfo[] = [];
  const first = Deno.UnsafePointer.create(head[0]);
  // struct pcap_if { pcap_if *next; char *name; char *description; pcap_addr *addresses; u32 flags }
  for (let node = first; node; node = new Deno.UnsafePointerView(node).getPointer(0)) {
    const view = new Deno.UnsafePointerView(node);
    const flags = view.getUint32(32);
    list.push({
      name: readCString(view.getPointer(8)),
      description: readCString(view.getPointer(16)),
      addresses: readAddresses(view.getPointer(24)),
      loopback: (flags & PCAP_IF_LOOPBACK) !== 0,
      up: (flags & PCAP_IF_UP) !== 0,
      running: (flags & PCAP_IF_RUNNING) !== 0,
      wireless: (flags & PCAP_IF_WIRELESS) !== 0,
      isDefault: false,
    });
  }
  if (first) pcap.pcap_freealldevs(first);
  const chosen = pickDefault(list, defaultRouteInterfaces());
  for (const info of list) info.isDefault = info.name === chosen;
  return list;
}

/** The interface to capture on when none is named. */
export function defaultInterface(): string {
  const list = listInterfaces();
  const chosen = list.find((i) => i.isDefault);
  if (!chosen) throw new CaptureError("no_device", "No interface to capture on: name one with -i");
  return chosen.name;
}

/**
 * The default interface: the one carrying the default route, else the first interface that is
 * up, running, not loopback and not a pseudo-device, else "any".
 */
export function pickDefault(list: InterfaceInfo[], routed: string[]): string | undefined {
  const names = new Set(list.map((i) => i.name));
  const viaRoute = routed.find((name) => names.has(name));
  if (viaRoute) return viaRoute;
  const real = list.find((i) => i.up && i.running && !i.loopback && !PSEUDO_DEVICES.test(i.name));
  if (real) return real.name;
  return names.has("any") ? "any" : list[0]?.name;
}

/** Interfaces with an IPv4 or IPv6 default route, lowest metric first (from /proc). */
export function defaultRouteInterfaces(): string[] {
  const routes: { name: string; metric: number }[] = [];
  // /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask ... (hex, host order)
  for (const line of readLines("/proc/net/route").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 7 && f[1] === "00000000" && f[7] === "00000000") {
      routes.push({ name: f[0], metric: Number(f[6]) });
    }
  }
  // /proc/net/ipv6_route: dest plen src splen nexthop metric refcnt use flags iface
  for (const line of readLines("/proc/net/ipv6_route")) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && /^0+$/.test(f[0]) && f[1] === "00" && f[9] !== "lo") {
      routes.push({ name: f[9], metric: parseInt(f[5], 16) });
    }
  }
  return routes.sort((a, b) => a.metric - b.metric).map((r) => r.name);
}

function readLines(path: string): string[] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter((l) => l.trim() !== "");
  } catch {
    return []; // not Linux, or /proc not mounted: fall back to the interface flags
  }
}

// struct pcap_addr { pcap_addr *next; sockaddr *addr; sockaddr *netmask; ... }
function readAddresses(first: Deno.PointerValue): string[] {
  const out: string[] = [];
  for (let node = first; node; node = new Deno.UnsafePointerView(node).getPointer(0)) {
    const sockaddr = new Deno.UnsafePointerView(node).getPointer(8);
    if (!sockaddr) continue;
    const view = new Deno.UnsafePointerView(sockaddr);
    const family = view.getUint16(0);
    if (family === AF_INET) {
      out.push(formatAddressBytes(new Uint8Array(view.getArrayBuffer(4, 4))));
    } else if (family === AF_INET6) {
      out.push(formatAddressBytes(new Uint8Array(view.getArrayBuffer(16, 8))));
    }
  }
  return out;
}
