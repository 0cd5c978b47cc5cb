// Runs tshark over a capture file for a list of fields: the one way the truth script and the
// tests read tshark's per-frame output.
//
// It lives in scripts/ because the truth script (run with --allow-run=tshark) must not import
// test code, while tests already import scripts/.

/**
 * The addresses and ports of a frame, in the order every reader here splits them: IPv4 source
 * and destination, IPv6 source and destination, TCP ports, UDP ports.
 */
export const ENDPOINT_FIELDS = [
  "ip.src",
  "ip.dst",
  "ipv6.src",
  "ipv6.dst",
  "tcp.srcport",
  "tcp.dstport",
  "udp.srcport",
  "udp.dstport",
] as const;

/** How tshark prints the fields. */
export interface TsharkFieldsOptions {
  /** "f" (the default): the first occurrence of each field; "a": all of them. */
  occurrence?: "f" | "a";
  /** What joins the occurrences with occurrence "a" (tshark's default ","). */
  aggregator?: string;
  /** false: IPv4 and IPv6 reassembly off, so each frame stands alone. Default tshark's (on). */
  defragment?: boolean;
  /** More arguments, e.g. ["-z", "conv,tcp"]: statistics are printed after the frames. */
  more?: string[];
}

/**
 * The non-empty lines tshark prints for `fields` of each frame of `path` (tab-separated, in
 * the order of `fields`, addresses as numbers: -n), then those of any statistics asked for.
 * Throws, saying to install tshark, when it cannot be run, and with its stderr when it fails.
 */
export async function tsharkFields(
  path: string,
  fields: readonly string[],
  options: TsharkFieldsOptions = {},
): Promise<string[]> {
  const args = ["-r", path, "-n", "-T", "fields", "-E", "separator=/t"];
  args.push("-E", `occurrence=${options.occurrence ?? "f"}`);
  if (options.aggregator !== undefined) args.push("-E", `aggregator=${options.aggregator}`);
  if (options.defragment === false) {
    args.push("-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE");
  }
  for (const field of fields) args.push("-e", field);
  args.push(...options.more ?? []);
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("tshark", { args, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    throw new Error(
      `tshark is needed here and could not be run (apt-get install tshark): ${error}`,
      {
        cause: error,
      },
    );
  }
  const text = new TextDecoder();
  if (output.code !== 0) {
    throw new Error(`tshark failed on ${path}: ${text.decode(output.stderr).trim()}`);
  }
  return text.decode(output.stdout).split("\n").filter((line) => line !== "");
}
