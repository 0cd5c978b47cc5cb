// Flow engine configuration: timeouts and the caps that bound its memory, with defaults.

/** Everything that sizes or times the flow engine. All times in seconds. */
export interface FlowConfig {
  /** Idle timeout of an open TCP flow. */
  tcpTimeoutSec: number;
  /** Idle timeout of a TCP flow after FIN both ways or a RST. */
  tcpClosedTimeoutSec: number;
  udpTimeoutSec: number;
  /** ICMP and ICMPv6. */
  icmpTimeoutSec: number;
  /** Any other IP protocol (GRE, ESP, fragments of unknown flows keep their protocol). */
  otherTimeoutSec: number;
  /** A flow longer than this is ended and continues as a new record. */
  activeTimeoutSec: number;
  /** Cap on flows tracked at once; when full, the least recently seen one is evicted. */
  maxActiveFlows: number;
  /** Cap on ended flows kept. */
  maxHistoryRecords: number;
  /** Ended flows are kept this long after their last packet. */
  historyRetentionSec: number;
  /** Cap on hosts in the host table; when full, the least recently seen one is evicted. */
  maxHosts: number;
  /**
   * One-packet flows (a SYN, a ping) kept apart until a second packet comes; when full, the
   * oldest is folded into its server's aggregate record (a flood's shape, not its sources).
   */
  maxEmbryos: number;
}

/**
 * Defaults. Memory at these caps (see flows_bench.ts for measurements): active flows about
 * 125 bytes each with their index (1,000,000 -> ~125 MB), history 104 bytes per record
 * (2,000,000 -> ~208 MB), one-packet flows 109 bytes (131,072 -> ~14 MB), hosts about 1.6 KB
 * each (65,536 -> ~105 MB), time series about 5 MB: well under 1 GB. Tables are allocated at
 * their cap but the OS commits pages only when used, so a small workload uses little.
 */
export const DEFAULT_FLOW_CONFIG: Readonly<FlowConfig> = Object.freeze({
  tcpTimeoutSec: 300,
  tcpClosedTimeoutSec: 10,
  udpTimeoutSec: 60,
  icmpTimeoutSec: 30,
  otherTimeoutSec: 60,
  activeTimeoutSec: 1800,
  maxActiveFlows: 1_000_000,
  maxHistoryRecords: 2_000_000,
  historyRetentionSec: 3600,
  maxHosts: 65_536,
  maxEmbryos: 131_072,
});

/** The defaults overridden by `overrides`; throws RangeError on a value that cannot work. */
export function resolveFlowConfig(overrides: Partial<FlowConfig> = {}): FlowConfig {
  const config = { ...DEFAULT_FLOW_CONFIG, ...overrides };
  for (const [name, value] of Object.entries(config)) {
    if (typeof value !== "number" || !(value >= 0)) {
      throw new RangeError(`Flow config ${name} must be a non-negative number, got ${value}`);
    }
  }
  for (const name of ["maxActiveFlows", "maxHosts", "maxEmbryos"] as const) {
    if (!Number.isInteger(config[name]) || config[name] < 1) {
      throw new RangeError(`Flow config ${name} must be a positive integer, got ${config[name]}`);
    }
  }
  if (!Number.isInteger(config.maxHistoryRecords)) {
    throw new RangeError(
      `Flow config maxHistoryRecords must be a whole number, got ${config.maxHistoryRecords}`,
    );
  }
  return config;
}
