// A capture of one HTTP request per Host name, each its own flow (10.0.0.1 to 10.0.1.N:80).

import { eth, ipv4, tcp } from "./frames.ts";
import { hex, PcapWriter } from "./pcap_file.ts";

/** Writes the capture to `path`: request i carries Host `names[i]`, one second apart. */
export function writeNamedHttp(path: string, names: readonly string[]): void {
  const writer = new PcapWriter(path, 1);
  names.forEach((name, i) => {
    const request = new TextEncoder().encode(`GET / HTTP/1.1\r\nHost: ${name}\r\n\r\n`);
    const payload = Array.from(request, (b) => b.toString(16).padStart(2, "0")).join("");
    const dst = `0a0001${(i + 1).toString(16).padStart(2, "0")}`;
    const frame = eth("0800", ipv4(6, "0a000001", dst, tcp(40000 + i, 80, payload)));
    writer.write(1_700_000_000 + i, 0, hex(frame));
  });
  writer.close();
}
