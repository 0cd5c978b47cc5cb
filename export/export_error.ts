// The error a sink throws, saying whether a retry can help.

/**
 * How the runner treats a failure: `transient` (network, server busy: retry with backoff),
 * `permanent` (bad credentials, no permission: state "failed", retried slowly so a fixed
 * server resumes without a restart), or `rejected` (the destination refused this batch's
 * data: the batch is dropped and counted, the queue moves on).
 */
export type ExportFailure = "transient" | "permanent" | "rejected";

/** A failed send or open, with what a retry can do about it. */
export class ExportError extends Error {
  readonly failure: ExportFailure;

  constructor(message: string, failure: ExportFailure = "transient", options?: ErrorOptions) {
    super(message, options);
    this.name = "ExportError";
    this.failure = failure;
  }
}
