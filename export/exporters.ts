// Every --export destination of a process: built from their URLs, fed one record at a time.

import { ClickHouseSink } from "./clickhouse_sink.ts";
import { type DestinationOptions, ExportDestination } from "./export_destination.ts";
import { ExportHandoff } from "./export_handoff.ts";
import type { DestinationConfig } from "./export_url.ts";
import { IpfixTcpSink, IpfixUdpSink } from "./ipfix_exporter.ts";
import type { FlowStore } from "../flows/flow_store.ts";
import type { ExportFlow, ExportSink, ExportState, ExportStatus } from "./types.ts";

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
  /** IPFIX ingressInterface for URLs without ?ifindex= (the captured interface's index). */
  ingressInterface?: number;
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

/** How often destination states are checked for changes worth a line on stderr. */
const WATCH_MS = 1000;
/** How often ended records are taken from the handoff ring into the destinations' queues. */
const HANDOFF_MS = 100;
/** Records the handoff ring holds: 100 ms of 600,000 ended flows a second, in 6 MiB. */
const HANDOFF_CAPACITY = 65_536;

/** What a shutdown left undelivered, per destination. */
export interface Undelivered {
  destination: string;
  records: number;
  last_error: string | null;
}

/** The destinations of this process. */
export class Exporters {
  readonly destinations: readonly ExportDestination[];
  /** Where the engine's end listener copies records (see export_handoff.ts). */
  readonly handoff = new ExportHandoff(HANDOFF_CAPACITY);
  #watch: ReturnType<typeof setInterval> | undefined;
  #drain: ReturnType<typeof setInterval> | undefined;
  /** The state each destination was last reported in. */
  readonly #told: ExportState[];

  constructor(destinations: ExportDestination[]) {
    this.destinations = destinations;
    this.#told = destinations.map(() => "connecting");
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
          ingressInterface: config.ingressInterface ?? options.ingressInterface ?? 0,
        };
        sink = config.kind === "ipfix" ? new IpfixUdpSink(ipfix) : new IpfixTcpSink(ipfix);
      }
      const defaults = DEFAULTS[config.kind === "clickhouse" ? "clickhouse" : "ipfix"];
      const settings = { ...defaults, ...options.tuning };
      if (config.queueCapacity !== undefined) settings.queueCapacity = config.queueCapacity;
      return new ExportDestination(config.name, config.kind, sink, settings);
    }));
  }

  /**
   * The packet path's entry: copies the ended record in slot `slot` of `store` (engine
   * EndReason `reason`) into the handoff ring. No allocation, no I/O, O(1).
   */
  record(store: FlowStore, slot: number, reason: number): void {
    this.handoff.push(store, slot, reason);
  }

  /** Queues `flow` for every destination: O(destinations), no I/O, never waits. */
  push(flow: ExportFlow): void {
    const list = this.destinations;
    for (let i = 0; i < list.length; i++) list[i].push(flow);
  }

  /** Moves every record waiting in the handoff ring into the destinations' queues. */
  drainHandoff(): number {
    return this.handoff.drain((flow) => this.push(flow));
  }

  /**
   * Starts sending. `log` gets one line when a destination starts failing (with the reason)
   * and one when it delivers again, so an operator sees an outage without polling /stats.
   */
  start(log: (line: string) => void = console.error): void {
    for (const destination of this.destinations) destination.start();
    this.#drain ??= setInterval(() => this.drainHandoff(), HANDOFF_MS);
    this.#watch ??= setInterval(() => this.#tell(log), WATCH_MS);
  }

  #tell(log: (line: string) => void): void {
    this.destinations.forEach((d, i) => {
      const s = d.status();
      const before = this.#told[i];
      if (s.state === before || s.state === "connecting") return;
      this.#told[i] = s.state;
      if (s.state === "ok") {
        if (before !== "connecting") log(`netwatch: export to ${s.destination}: delivering again`);
        return;
      }
      log(
        `netwatch: export to ${s.destination}: ${s.last_error} ` +
          (s.state === "failed"
            ? "(fix the server or the URL; retrying every 30 s"
            : "(retrying with backoff") +
          `; up to ${s.capacity} records wait in the queue)`,
      );
    });
  }

  /** Figures of each destination, in --export order (handoff drops count for every one). */
  status(): ExportStatus[] {
    const lost = this.handoff.dropped;
    return this.destinations.map((d) => {
      const s = d.status();
      return lost ? { ...s, dropped: s.dropped + lost } : s;
    });
  }

  /**
   * Sends what is queued, for at most `timeoutMs`, then closes every destination. Returns the
   * destinations that still held records (lost: the caller says so).
   */
  async shutdown(timeoutMs: number): Promise<Undelivered[]> {
    clearInterval(this.#watch);
    clearInterval(this.#drain);
    this.drainHandoff();
    const deadline = Date.now() + timeoutMs;
    // A send that hangs (a collector that stopped reading) must not hold up the exit.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all(this.destinations.map((d) => d.drain(deadline))), late]);
    clearTimeout(timer);
    await Promise.all(this.destinations.map((d) => d.close()));
    return this.status()
      .filter((s) => s.queued > 0)
      .map((s) => ({ destination: s.destination, records: s.queued, last_error: s.last_error }));
  }
}

/** The first line of a password file; throws Error naming the file when it cannot be read. */
export function readPassword(path: string, config: DestinationConfig): string {
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
