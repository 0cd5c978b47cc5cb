// The flow stage: accounting of decoded packets. Never imports FFI code.

export { PacketCounters } from "./packet_counters.ts";
