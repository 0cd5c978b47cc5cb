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
