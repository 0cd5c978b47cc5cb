// Every --export destination of a process: built from their URLs, fed one record at a time.

import { ClickHouseSink } from "./clickhouse_sink.ts";
import { type DestinationOptions, ExportDestination } from "./export_destination.ts";
import type { DestinationConfig } from "./export_url.ts";
import { IpfixTcpSink, IpfixUdpSink } from "./ipfix_exporter.ts";
import type { ExportFlow, ExportSink, ExportStatus } from "./types.ts";

/** Process-wide export settings (the --export-* options). */
export interface ExportOptions {
  /** RFC 5103 biflow records for IPFIX destinations. */
  biflow: boolean;
  /** ClickHouse: drop day partitions older than this. */
  retentionDays?: number;
  /** ClickHouse: password for URLs that give none (--export-password-file). */
  passwordFile?: string;
  /** This host's name in ClickHouse rows (default: the system's hostname). */
  exporter?: string;
  /** Overrides of the sending settings, by destination kind (tests shorten the backoff). */
  tuning?: Partial<DestinationOptions>;
}

/** Sending settings by destination kind: IPFIX sends small batches often, ClickHouse big ones. */
const DEFAULTS: Record<"ipfix" | "clickhouse", DestinationOptions> = {
  ipfix: {
    queueCapacity: 65_536,
    batchSize: 512,
    flushMs: 200,
    minBackoffMs: 500,
    maxBackoffMs: 30_000,
  },
  // ClickHouse prefers about one insert a second with many rows over many small ones.
  clickhouse: {
    queueCapacity: 100_000,
    batchSize: 50_000,
    flushMs: 1000,
    minBackoffMs: 500,
    maxBackoffMs: 30_000,
  },
};

/** What a shutdown left undelivered, per destination. */
export interface Undelivered {
  destination: string;
  records: number;
  last_error: string | null;
}

/** The destinations of this process. */
export class Exporters {
  readonly destinations: readonly ExportDestination[];

  constructor(destinations: ExportDestination[]) {
    this.destinations = destinations;
  }

  /**
   * Builds a destination per config. Reads password files now, so a missing one is an error
   * at start (Error naming the file), not a failure at the first insert.
   */
  static create(configs: readonly DestinationConfig[], options: ExportOptions): Exporters {
    const exporter = options.exporter ?? Deno.hostname();
    return new Exporters(configs.map((config) => {
      let sink: ExportSink;
      if (config.kind === "clickhouse") {
        const file = config.passwordFile ?? (config.password ? undefined : options.passwordFile);
        sink = new ClickHouseSink({
          endpoint: config.endpoint,
          database: config.database,
          user: config.user,
          password: file === undefined ? config.password : readPassword(file, config),
          exporter: config.exporter ?? exporter,
          retentionDays: options.retentionDays,
        });
      } else {
        const ipfix = {
          host: config.host,
          port: config.port,
          observationDomainId: config.observationDomainId,
          pen: config.pen,
          biflow: options.biflow,
          maxMessageBytes: config.maxMessageBytes,
        };
        sink = config.kind === "ipfix" ? new IpfixUdpSink(ipfix) : new IpfixTcpSink(ipfix);
      }
      const defaults = DEFAULTS[config.kind === "clickhouse" ? "clickhouse" : "ipfix"];
      const settings = { ...defaults, ...options.tuning };
      if (config.queueCapacity !== undefined) settings.queueCapacity = config.queueCapacity;
      return new ExportDestination(config.name, config.kind, sink, settings);
    }));
  }

  /** Queues `flow` for every destination: O(destinations), no I/O, never waits. */
  push(flow: ExportFlow): void {
    const list = this.destinations;
    for (let i = 0; i < list.length; i++) list[i].push(flow);
  }

  /** Starts sending. */
  start(): void {
    for (const destination of this.destinations) destination.start();
  }

  /** Figures of each destination, in --export order. */
  status(): ExportStatus[] {
    return this.destinations.map((d) => d.status());
  }

  /**
   * Sends what is queued, for at most `timeoutMs`, then closes every destination. Returns the
   * destinations that still held records (lost: the caller says so).
   */
  async shutdown(timeoutMs: number): Promise<Undelivered[]> {
    const deadline = Date.now() + timeoutMs;
    const left = await Promise.all(this.destinations.map((d) => d.drain(deadline)));
    await Promise.all(this.destinations.map((d) => d.close()));
    return this.destinations
      .map((d, i) => ({ destination: d.name, records: left[i], last_error: d.status().last_error }))
      .filter((u) => u.records > 0);
  }
}

/** The first line of a password file; throws Error naming the file when it cannot be read. */
function readPassword(path: string, config: DestinationConfig): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new Error(
      `Cannot read the ClickHouse password file "${path}" (for ${config.name}): ` +
        (error as Error).message,
    );
  }
  return text.split(/\r?\n/)[0];
}
