// Reads a whole capture file on the calling thread, as fast as it can be decoded.

import { CaptureError } from "./capture_error.ts";
import type { LinkType } from "./link_types.ts";
import { PacketBatch } from "./packet_batch.ts";
import { openCaptureFile } from "./pcap_file.ts";

/** What reading a file gave besides the batches. */
export interface FileReadResult {
  linkType: LinkType;
  packets: number;
  /** Set when libpcap stopped with an error part-way; every packet before it was delivered. */
  error?: CaptureError;
}

const BATCH_CAPACITY = 4096;

/**
 * Reads `path` (pcap or pcapng) and calls `onBatch` for each batch of decoded packets. Throws
 * CaptureError when the file cannot be opened; a read error part-way is returned, not thrown.
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
      let n: number;
      try {
        n = handle.read(batch);
      } catch (failure) {
        if (!(failure instanceof CaptureError)) throw failure;
        error = failure;
        n = 0;
      }
      if (batch.count === batch.capacity || (n === 0 && batch.count > 0)) {
        onBatch(batch);
        batch.count = 0;
      }
      if (n === 0) break;
    }
    return { linkType: handle.linkType, packets: handle.packetsRead, error };
  } finally {
    handle.close();
  }
}
