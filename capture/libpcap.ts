// Every Deno.dlopen table in Netwatch: libpcap, the few libc calls that batch its output, and the
// descriptor limit (getrlimit/setrlimit) the HTTP server sizes its connection cap by.
//
// Nothing outside capture/ touches FFI; everything else is testable without --allow-ffi.

import { CaptureError } from "./capture_error.ts";

const PCAP_SYMBOLS = {
  pcap_lib_version: { parameters: [], result: "pointer" },
  pcap_create: { parameters: ["buffer", "buffer"], result: "pointer" },
  pcap_set_snaplen: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_promisc: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_timeout: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_buffer_size: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_immediate_mode: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_activate: { parameters: ["pointer"], result: "i32" },
  pcap_open_offline_with_tstamp_precision: {
    parameters: ["buffer", "u32", "buffer"],
    result: "pointer",
  },
  pcap_close: { parameters: ["pointer"], result: "void" },
  pcap_geterr: { parameters: ["pointer"], result: "pointer" },
  pcap_statustostr: { parameters: ["i32"], result: "pointer" },
  pcap_datalink: { parameters: ["pointer"], result: "i32" },
  pcap_snapshot: { parameters: ["pointer"], result: "i32" },
  pcap_compile: { parameters: ["pointer", "buffer", "buffer", "i32", "u32"], result: "i32" },
  pcap_setfilter: { parameters: ["pointer", "buffer"], result: "i32" },
  pcap_freecode: { parameters: ["buffer"], result: "void" },
  pcap_dispatch: { parameters: ["pointer", "i32", "pointer", "pointer"], result: "i32" },
  pcap_fileno: { parameters: ["pointer"], result: "i32" },
  pcap_setnonblock: { parameters: ["pointer", "i32", "buffer"], result: "i32" },
  pcap_stats: { parameters: ["pointer", "buffer"], result: "i32" },
  pcap_dump_fopen: { parameters: ["pointer", "pointer"], result: "pointer" },
  pcap_dump_close: { parameters: ["pointer"], result: "void" },
  pcap_dump_flush: { parameters: ["pointer"], result: "i32" },
  pcap_findalldevs: { parameters: ["buffer", "buffer"], result: "i32" },
  pcap_freealldevs: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

const LIBC_SYMBOLS = {
  fmemopen: { parameters: ["buffer", "usize", "buffer"], result: "pointer" },
  fseek: { parameters: ["pointer", "i64", "i32"], result: "i32" },
  ftell: { parameters: ["pointer"], result: "i64" },
  setvbuf: { parameters: ["pointer", "pointer", "i32", "usize"], result: "i32" },
  __fsetlocking: { parameters: ["pointer", "i32"], result: "i32" },
  fclose: { parameters: ["pointer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  /** poll(2) on one descriptor: the live loop waits for the kernel's next block here. */
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
  dlsym: { parameters: ["pointer", "buffer"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Sonames tried in order: the runtime package on Debian/Ubuntu ships both of the first two. */
const LIBPCAP_NAMES = ["libpcap.so.1", "libpcap.so.0.8", "libpcap.so"];
const LIBC_NAMES = ["libc.so.6"];
const RTLD_NOW = 2;

/** libpcap's errbuf size, PCAP_ERRBUF_SIZE. */
export const PCAP_ERRBUF_SIZE = 256;

/** The loaded libraries, and the address of pcap_dump() to pass to pcap_dispatch(). */
export interface Libpcap {
  readonly pcap: Deno.DynamicLibrary<typeof PCAP_SYMBOLS>["symbols"];
  readonly libc: Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];
  /** `pcap_dump` as a C function pointer: pcap_dispatch() calls it for every packet. */
  readonly pcapDump: Deno.PointerObject;
  /** The soname that loaded. */
  readonly soname: string;
  /** pcap_lib_version(), e.g. "libpcap version 1.10.3 (with TPACKET_V3)". */
  readonly version: string;
}

let loaded: Libpcap | undefined;

const RLIMIT_SYMBOLS = {
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** RLIMIT_NOFILE on Linux (x86_64 and aarch64 alike). */
const RLIMIT_NOFILE = 7;

/** The process's open-file limits; `raised` when the soft limit was lifted at this call. */
export interface FileLimit {
  soft: number;
  hard: number;
  raised: boolean;
}

/**
 * Lifts the soft RLIMIT_NOFILE to the hard limit (what a process may do without privileges) and
 * returns both. The soft limit is often 1024 while the hard one is far higher; Deno 2.9 already
 * lifts it at start, and this makes that explicit rather than an accident of the runtime. The
 * server sizes its connection cap by what this returns. Throws when libc or --allow-ffi is missing.
 */
export function raiseFileLimit(): FileLimit {
  const names = LIBC_NAMES;
  const libc = openFirst(names, RLIMIT_SYMBOLS);
  if (!libc) throw new Error(`Cannot load ${names.join(" or ")} to read the open-file limit`);
  try {
    // struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; } with 64-bit rlim_t.
    const limits = new BigUint64Array(2);
    const bytes = new Uint8Array(limits.buffer);
    if (libc.lib.symbols.getrlimit(RLIMIT_NOFILE, bytes) !== 0) {
      throw new Error("getrlimit(RLIMIT_NOFILE) failed");
    }
    const [soft, hard] = limits;
    if (soft >= hard) return { soft: asNumber(soft), hard: asNumber(hard), raised: false };
    limits[0] = hard;
    const raised = libc.lib.symbols.setrlimit(RLIMIT_NOFILE, bytes) === 0;
    return { soft: asNumber(raised ? hard : soft), hard: asNumber(hard), raised };
  } finally {
    libc.lib.close();
  }
}

/** RLIM_INFINITY and other huge limits read as the largest safe integer. */
function asNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** Loads libpcap once. Throws CaptureError("no_libpcap") with install instructions. */
export function libpcap(): Libpcap {
  if (loaded) return loaded;
  const libc = openFirst(LIBC_NAMES, LIBC_SYMBOLS);
  const pcap = openFirst(LIBPCAP_NAMES, PCAP_SYMBOLS);
  if (!libc || !pcap) {
    throw new CaptureError(
      "no_libpcap",
      "libpcap is not installed: run `sudo apt-get install libpcap0.8` (Debian/Ubuntu), " +
        "`sudo dnf install libpcap` (Fedora) or `sudo pacman -S libpcap` (Arch)",
    );
  }
  // dlopen() of an already loaded library returns its handle; dlsym() then gives the address.
  const handle = libc.lib.symbols.dlopen(cString(pcap.name), RTLD_NOW);
  const pcapDump = handle && libc.lib.symbols.dlsym(handle, cString("pcap_dump"));
  if (!pcapDump) {
    throw new CaptureError("no_libpcap", `${pcap.name} has no pcap_dump symbol: reinstall libpcap`);
  }
  const versionPtr = pcap.lib.symbols.pcap_lib_version();
  loaded = {
    pcap: pcap.lib.symbols,
    libc: libc.lib.symbols,
    pcapDump,
    soname: pcap.name,
    version: versionPtr ? Deno.UnsafePointerView.getCString(versionPtr) : "libpcap",
  };
  return loaded;
}

function openFirst<S extends Deno.ForeignLibraryInterface>(
  names: string[],
  symbols: S,
): { lib: Deno.DynamicLibrary<S>; name: string } | undefined {
  for (const name of names) {
    try {
      return { lib: Deno.dlopen(name, symbols), name };
    } catch (error) {
      // A missing library is expected here; a missing permission is a programming error.
      if (error instanceof Deno.errors.NotCapable) throw error;
    }
  }
  return undefined;
}

const encoder = new TextEncoder();

/** A NUL-terminated copy of `text` for a `const char *` parameter. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${text}\0`);
}

/** Reads a NUL-terminated string out of an errbuf or a returned `char *`. */
export function readCString(source: Uint8Array | Deno.PointerValue): string {
  if (source instanceof Uint8Array) {
    const nul = source.indexOf(0);
    return new TextDecoder().decode(source.subarray(0, nul < 0 ? source.length : nul));
  }
  return source ? Deno.UnsafePointerView.getCString(source) : "";
}
