// Remakes the ground truth of tests/data/pcaps/real (EXPECTED_OUTER.csv, EXPECTED.csv) with tshark.
//
// Run: `npx deno task truth` (writes both files), or `npx deno task truth --check` (compares
// and exits 1 on a difference). tests/tshark_truth_test.ts runs the same comparison. Each
// file's first line pins the tool versions it was made with; the column meanings are in
// tests/data/pcaps/README.md. Every count comes from tshark, except the libpcap cross-checks
// (`tcpdump_*`, `snaplen`, and the link-type name of EXPECTED.csv), which come from tcpdump,
// i.e. from libpcap itself, and `format` and the link-type number, read from the file header.

import { fileHeader } from "./truth_file_header.ts";
import { ENDPOINT_FIELDS, tsharkFields } from "./tshark_fields.ts";
import { outerCounts, type TsharkFrame } from "./truth_outer.ts";

const REAL = new URL("../tests/data/pcaps/real/", import.meta.url).pathname;

/** The truth files this script writes, in tests/data/pcaps/real. */
export const TRUTH_FILES = ["EXPECTED_OUTER.csv", "EXPECTED.csv"] as const;

const OUTER_COLUMNS = [
  "file",
  "packets",
  "non_ip",
  "ipv4_outer",
  "ipv6_outer",
  "tcp_outer",
  "udp_outer",
  "icmp_outer",
  "other_l4_outer",
  "ip_fragments",
  "nonfirst_fragments",
  "flows_tcpudp_5tuple",
  "icmp_addr_pairs",
  "tshark_conv_tcp",
  "tshark_conv_udp",
  "min_ts",
  "max_ts",
  "ts_monotonic",
  "tshark_malformed_frames",
  "tcpdump_rc",
  "tcpdump_packets",
  "tcpdump_linktype",
  "tcpdump_stderr",
  "snaplen",
  "format",
];

const ANY_COLUMNS = [
  "file",
  "linktype",
  "packets",
  "bytes",
  "ipv4_packets",
  "ipv6_packets",
  "tcp_packets",
  "udp_packets",
  "icmp_packets",
  "distinct_conversations",
  "first_ts",
  "last_ts",
];

/** Versions of the tools the truth depends on, as their `--version` prints them. */
export interface ToolVersions {
  tshark: string;
  tcpdump: string;
  libpcap: string;
}

/** Runs a tool to completion; a missing tool is one line that says what to install. */
async function run(program: string, args: string[]): Promise<Deno.CommandOutput> {
  try {
    return await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    throw new Error(`${program} is needed to make the ground truth (apt-get install ${program})`, {
      cause: error,
    });
  }
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The installed tshark, tcpdump and libpcap versions. */
export async function installedVersions(): Promise<ToolVersions> {
  const tshark = text((await run("tshark", ["--version"])).stdout);
  const tcpdump = text((await run("tcpdump", ["--version"])).stdout);
  const pick = (source: string, pattern: RegExp, name: string) => {
    const found = pattern.exec(source)?.[1];
    if (!found) throw new Error(`Cannot read the ${name} version from: ${source.split("\n")[0]}`);
    return found;
  };
  return {
    tshark: pick(tshark, /^TShark \(Wireshark\) (\d+\.\d+\.\d+)/m, "tshark"),
    tcpdump: pick(tcpdump, /^tcpdump version (\S+)/m, "tcpdump"),
    libpcap: pick(tcpdump, /^libpcap version (\S+)/m, "libpcap"),
  };
}

/** The first line of each truth file: what made it, with which versions. */
export function headerLine(v: ToolVersions): string {
  return `# made by scripts/tshark_truth.ts (npx deno task truth) with tshark ${v.tshark}, ` +
    `tcpdump ${v.tcpdump}, libpcap ${v.libpcap}`;
}

/** The versions a truth file's header line pins, or undefined when it has none. */
export function pinnedVersions(csv: string): ToolVersions | undefined {
  const match = /^# .* with tshark (\S+), tcpdump (\S+), libpcap (\S+)$/m.exec(
    csv.split("\n")[0],
  );
  return match ? { tshark: match[1], tcpdump: match[2], libpcap: match[3] } : undefined;
}

const FIELDS = [
  "frame.protocols",
  "frame.len",
  "frame.time_epoch",
  ...ENDPOINT_FIELDS,
  "ip.flags.mf",
  "ip.frag_offset",
  "ipv6.fraghdr.more",
  "ipv6.fraghdr.offset",
  // Set on frames tshark flags "[Malformed Packet]"; frame.protocols does not always say so.
  "_ws.malformed",
];

/** tshark's frames (first occurrence of each field) and its conv,tcp and conv,udp row counts. */
async function tshark(path: string, reassemble: boolean) {
  const lines = await tsharkFields(path, FIELDS, {
    defragment: reassemble,
    more: ["-z", "conv,tcp", "-z", "conv,udp"],
  });
  const statsAt = lines.findIndex((line) => line.startsWith("===="));
  const frames: TsharkFrame[] = lines.slice(0, statsAt < 0 ? lines.length : statsAt)
    .map((line) => {
      const f = line.split("\t");
      return {
        protocols: f[0].split(":"),
        len: Number(f[1]),
        time: f[2],
        ip4: [f[3], f[4]],
        ip6: [f[5], f[6]],
        tcpPorts: [f[7], f[8]],
        udpPorts: [f[9], f[10]],
        ip4More: f[11] === "1" || f[11] === "True",
        ip4Offset: Number(f[12] || 0),
        ip6More: f[13] === "1" || f[13] === "True",
        ip6Offset: Number(f[14] || 0),
        malformed: (f[15] ?? "") !== "",
      };
    });
  // Conversation rows of each table: lines with "<->" under "TCP/UDP Conversations".
  const conv = { tcp: 0, udp: 0 };
  let table: "tcp" | "udp" | undefined;
  for (const line of lines.slice(statsAt < 0 ? lines.length : statsAt)) {
    if (line.startsWith("TCP Conversations")) table = "tcp";
    else if (line.startsWith("UDP Conversations")) table = "udp";
    else if (line.startsWith("====")) table = undefined;
    else if (table && line.includes(" <-> ")) conv[table]++;
  }
  return { frames, conv };
}

/** What libpcap (through tcpdump) makes of the file: exit code, packets, link type, stderr. */
async function tcpdump(path: string) {
  const out = await run("tcpdump", ["--count", "-nn", "-r", path]);
  const stderr = text(out.stderr).split("\n").filter((line) => line !== "");
  const reading = stderr.find((line) => line.startsWith("reading from file "));
  const link = /link-type (\S+) .*snapshot length (\d+)/.exec(reading ?? "");
  return {
    rc: out.code,
    packets: Number(/^(\d+) packets?/m.exec(text(out.stdout))?.[1] ?? 0),
    linktype: link?.[1] ?? "",
    snaplen: link?.[2] ?? "",
    // What libpcap says besides the file's own description, e.g. warnings; "running as root"
    // notes from a tool are not the file's.
    stderr: stderr.filter((line) => line !== reading && !/^Running as user/.test(line)).join(" "),
  };
}

/** Compares epoch texts "SECONDS.NANOSECONDS" exactly, without floating point. */
function compareTime(a: string, b: string): number {
  const [as, af = ""] = a.split(".");
  const [bs, bf = ""] = b.split(".");
  if (as.length !== bs.length) return as.length - bs.length;
  return as < bs ? -1 : as > bs ? 1 : af.padEnd(9, "0") < bf.padEnd(9, "0") ? -1 : +(af !== bf);
}

/** One row of each truth file for the capture `name`. */
async function rows(name: string): Promise<{ outer: string[]; any: string[] }> {
  const path = REAL + name;
  const [flat, whole, libpcap, header] = await Promise.all([
    tshark(path, false),
    tshark(path, true),
    tcpdump(path),
    fileHeader(path),
  ]);
  const frames = flat.frames;
  const outer = outerCounts(frames);
  const times = frames.map((f) => f.time);
  const sorted = [...times].sort(compareTime);
  const monotonic = times.every((t, i) => i === 0 || compareTime(times[i - 1], t) <= 0);
  const has = (name: string) => whole.frames.filter((f) => f.protocols.includes(name)).length;
  return {
    outer: [
      name,
      frames.length,
      ...Object.values(outer),
      flat.conv.tcp,
      flat.conv.udp,
      sorted[0] ?? "",
      sorted.at(-1) ?? "",
      monotonic ? 1 : 0,
      frames.filter((f) => f.malformed).length,
      libpcap.rc,
      libpcap.packets,
      libpcap.linktype,
      libpcap.stderr,
      libpcap.snaplen,
      header.format,
    ].map(String),
    any: [
      name,
      `${libpcap.linktype}(${header.linktype})`,
      whole.frames.length,
      whole.frames.reduce((sum, f) => sum + f.len, 0),
      has("ip"),
      has("ipv6"),
      has("tcp"),
      has("udp"),
      whole.frames.filter((f) => f.protocols.includes("icmp") || f.protocols.includes("icmpv6"))
        .length,
      whole.conv.tcp + whole.conv.udp,
      whole.frames[0]?.time ?? "",
      whole.frames.at(-1)?.time ?? "",
    ].map(String),
  };
}

/** The text of each truth file, made from the captures in tests/data/pcaps/real now. */
export async function makeTruth(): Promise<Record<(typeof TRUTH_FILES)[number], string>> {
  const versions = await installedVersions();
  const names = [...Deno.readDirSync(REAL)]
    .filter((e) => e.isFile && /\.(pcap|pcapng)$/.test(e.name))
    .map((e) => e.name)
    .sort();
  const outer: string[] = [];
  const any: string[] = [];
  // Two captures at a time: three tools each, on a machine others share.
  for (let i = 0; i < names.length; i += 2) {
    for (const row of await Promise.all(names.slice(i, i + 2).map(rows))) {
      for (const field of [...row.outer, ...row.any]) {
        if (/[,\n"]/.test(field)) throw new Error(`A CSV field would need quoting: ${field}`);
      }
      outer.push(row.outer.join(","));
      any.push(row.any.join(","));
    }
  }
  const csv = (columns: string[], lines: string[]) =>
    [headerLine(versions), columns.join(","), ...lines, ""].join("\n");
  return {
    "EXPECTED_OUTER.csv": csv(OUTER_COLUMNS, outer),
    "EXPECTED.csv": csv(ANY_COLUMNS, any),
  };
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const made = await makeTruth();
  let differs = 0;
  for (const name of TRUTH_FILES) {
    const path = REAL + name;
    if (!check) {
      Deno.writeTextFileSync(path, made[name]);
      console.log(`wrote ${path}`);
    } else if (Deno.readTextFileSync(path) !== made[name]) {
      console.error(`truth: ${path} differs from what tshark makes now`);
      differs++;
    }
  }
  if (check && !differs) console.log("truth: both files are what tshark makes now");
  Deno.exit(differs ? 1 : 0);
}
