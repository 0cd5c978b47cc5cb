// Reads a whole capture file on the calling thread, as fast as it can be decoded.

import { CaptureError } from "./capture_error.ts";
import type { LinkType } from "./link_types.ts";
import { BATCH_CAPACITY, PacketBatch } from "./packet_batch.ts";
import { openCaptureFile } from "./pcap_file.ts";

/** What reading a file gave besides the batches. */
export interface FileReadResult {
  linkType: LinkType;
  packets: number;
  /** Set when libpcap stopped with an error part-way; every packet before it was delivered. */
  error?: CaptureError;
}

/**
 * Reads `path` (pcap or pcapng) and calls `onBatch` for each batch of decoded packets. Each
 * batch is what one read of the reader gave, so that its payload offsets all point into
 * `batch.raw` while `onBatch` runs (the next read reuses those bytes). Throws CaptureError when
 * the file cannot be opened; a read error part-way is returned, not thrown.
 */
export function readCaptureFile(
  path: string,
  onBatch: (batch: PacketBatch) => void,
  filter?: string,
): FileReadResult {
  const handle = openCaptureFile(path, filter);
  const batch = new PacketBatch(BATCH_CAPACITY);
  let error: CaptureError | undefined;
  try {
    for (;;) {
      batch.count = 0;
      let n: number;
      try {
        n = handle.read(batch);
      } catch (failure) {
        if (!(failure instanceof CaptureError)) throw failure;
        error = failure;
        n = 0;
      }
      if (batch.count > 0) onBatch(batch);
      if (n === 0) break;
    }
    return { linkType: handle.linkType, packets: handle.packetsRead, error };
  } finally {
    handle.close();
  }
}
