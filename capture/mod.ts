// The capture stage: libpcap sources, link-type table, decoders and the packet summary batch.

export { CaptureError, type CaptureErrorKind } from "./capture_error.ts";
export { type BatchHandler, CaptureSession, type SessionOptions } from "./capture_session.ts";
export { defaultInterface, type InterfaceInfo, listInterfaces } from "./interfaces.ts";
export { formatAddress, formatIpv4, formatIpv6 } from "./ip_address.ts";
export { libpcap } from "./libpcap.ts";
export { LinkDecoder, type LinkType, linkType } from "./link_types.ts";
export { Flag, IpProto, PacketBatch, PacketKind, TunnelKind, tunnelName } from "./packet_batch.ts";
export {
  type CaptureStats,
  DEFAULT_BUFFER_BYTES,
  DEFAULT_SNAPLEN,
  type LiveOptions,
  PcapHandle,
} from "./pcap_handle.ts";
export { decodeRecords, type RecordCursor, type RecordFormat } from "./records.ts";
export type { FileSource, InterfaceSource, SourceInfo, SourceOptions } from "./source.ts";
export { type FileReadResult, readCaptureFile } from "./read_file.ts";
