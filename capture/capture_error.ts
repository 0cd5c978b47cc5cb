// The one error type for capture problems a user must fix, each a single line that says how.

/** What went wrong, so callers (CLI, /health) can react without parsing messages. */
export type CaptureErrorKind =
  | "no_libpcap"
  | "permission"
  | "no_device"
  | "bad_filter"
  | "bad_file"
  | "failed";

/** A capture failure with a one-line, user-facing message. Never carries a stack to print. */
export class CaptureError extends Error {
  readonly kind: CaptureErrorKind;

  constructor(kind: CaptureErrorKind, message: string) {
    super(message);
    this.name = "CaptureError";
    this.kind = kind;
  }
}

/**
 * How to capture without permission problems, for the line a "permission" error prints. The
 * compiled binary can hold CAP_NET_RAW itself (setcap on its own path). From source, the
 * program running is Deno, which should not hold the capability for every script it runs: the
 * advice there is root, or the binary.
 */
export function netRawHint(
  standalone: boolean = Deno.build.standalone,
  binary: string = standalone ? Deno.execPath() : "",
): string {
  if (standalone) {
    return "Grant CAP_NET_RAW instead of running as root: " +
      `\`sudo setcap cap_net_raw=eip ${binary}\`, or \`AmbientCapabilities=CAP_NET_RAW\` under systemd`;
  }
  return "From source, capture needs root (`sudo npm start`); to capture without root, build " +
    "the binary (`npx deno task build`) and grant it CAP_NET_RAW (README.md, Security)";
}
