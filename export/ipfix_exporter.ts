// IPFIX transports: UDP (templates refreshed on a timer) and TCP (reconnects, templates per session).
//
// UDP uses node:dgram, not Deno.listenDatagram: in Deno 2 the latter is still behind
// --unstable-net, which the compiled binary would then need; node:dgram is stable and compiles.
// UDP has no acknowledgement, so "sent" means handed to the kernel, and a collector that is
// down is invisible from here (RFC 7011 section 10.3): that is why templates go out again
// every TEMPLATE_REFRESH_MS and every TEMPLATE_REFRESH_MESSAGES messages, so a collector that
// restarts can decode again within seconds. Over TCP, templates go out once per connection
// and a broken connection is reopened by the runner with backoff.

import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import { ExportError } from "./export_error.ts";
import { IpfixEncoder, type IpfixEncoderOptions } from "./ipfix_encoder.ts";
import type { ExportFlow, ExportSink } from "./types.ts";

/** Where to send, and how to encode. */
export interface IpfixConfig extends Omit<IpfixEncoderOptions, "maxMessageBytes"> {
  host: string;
  port: number;
  /** Largest message in octets (default: UDP 1400, fits a 1500-byte MTU with headers; TCP 65535). */
  maxMessageBytes?: number;
}

/** UDP: resend templates this often, and after this many messages, whichever comes first. */
export const TEMPLATE_REFRESH_MS = 30_000;
export const TEMPLATE_REFRESH_MESSAGES = 64;
const UDP_MESSAGE_BYTES = 1400;
const TCP_MESSAGE_BYTES = 65535;

/** Host without the brackets a URL puts around IPv6 literals. */
function bare(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** IPFIX over UDP to one collector. */
export class IpfixUdpSink implements ExportSink {
  readonly config: IpfixConfig;
  readonly encoder: IpfixEncoder;
  #socket?: dgram.Socket;
  #address = "";
  #lastTemplateMs = 0;
  #messagesSinceTemplate = 0;

  constructor(config: IpfixConfig) {
    this.config = config;
    this.encoder = new IpfixEncoder({
      ...config,
      maxMessageBytes: config.maxMessageBytes ?? UDP_MESSAGE_BYTES,
    });
  }

  /** Resolves the collector's address once, opens the socket and sends the templates. */
  async open(): Promise<void> {
    await this.close();
    let resolved;
    try {
      resolved = await lookup(bare(this.config.host));
    } catch (error) {
      throw new ExportError(
        `Cannot resolve IPFIX collector "${this.config.host}": ${(error as Error).message}`,
        "transient",
      );
    }
    this.#address = resolved.address;
    const socket = dgram.createSocket(resolved.family === 6 ? "udp6" : "udp4");
    // Errors also come back through send()'s callback; this keeps them from being uncaught.
    socket.on("error", () => {});
    this.#socket = socket;
    await this.#sendTemplates();
  }

  async send(batch: readonly ExportFlow[]): Promise<void> {
    const now = Date.now();
    if (
      now - this.#lastTemplateMs >= TEMPLATE_REFRESH_MS ||
      this.#messagesSinceTemplate >= TEMPLATE_REFRESH_MESSAGES
    ) {
      await this.#sendTemplates();
    }
    for (const message of this.encoder.encode(batch, now / 1000)) {
      await this.#sendMessage(message);
      this.#messagesSinceTemplate++;
    }
  }

  /** Refreshes templates when idle too, so a restarted collector is ready before data comes. */
  async maintain(nowMs: number): Promise<void> {
    if (this.#socket && nowMs - this.#lastTemplateMs >= TEMPLATE_REFRESH_MS) {
      await this.#sendTemplates();
    }
  }

  close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }

  async #sendTemplates(): Promise<void> {
    await this.#sendMessage(this.encoder.templateMessage(Date.now() / 1000));
    this.#lastTemplateMs = Date.now();
    this.#messagesSinceTemplate = 0;
  }

  #sendMessage(message: Uint8Array): Promise<void> {
    const socket = this.#socket;
    if (!socket) return Promise.reject(new ExportError("IPFIX UDP socket is closed"));
    return new Promise((resolve, reject) => {
      socket.send(message, this.config.port, this.#address, (error) => {
        if (!error) return resolve();
        reject(
          new ExportError(
            `Cannot send IPFIX to ${this.config.host}:${this.config.port}: ${error.message}`,
          ),
        );
      });
    });
  }
}

/** IPFIX over TCP to one collector: one connection, templates first on each. */
export class IpfixTcpSink implements ExportSink {
  readonly config: IpfixConfig;
  readonly encoder: IpfixEncoder;
  #conn?: Deno.TcpConn;

  constructor(config: IpfixConfig) {
    this.config = config;
    this.encoder = new IpfixEncoder({
      ...config,
      maxMessageBytes: config.maxMessageBytes ?? TCP_MESSAGE_BYTES,
    });
  }

  /** Connects, starts a new session (sequence 0) and sends the templates. */
  async open(): Promise<void> {
    await this.close();
    const { host, port } = this.config;
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname: bare(host), port });
    } catch (error) {
      throw new ExportError(
        `Cannot connect to IPFIX collector ${host}:${port}: ${(error as Error).message}`,
      );
    }
    this.#conn = conn;
    this.#watch(conn);
    this.encoder.reset();
    await this.#write(this.encoder.templateMessage(Date.now() / 1000));
  }

  async send(batch: readonly ExportFlow[]): Promise<void> {
    for (const message of this.encoder.encode(batch, Date.now() / 1000)) {
      await this.#write(message);
    }
  }

  close(): Promise<void> {
    const conn = this.#conn;
    this.#conn = undefined;
    try {
      conn?.close();
    } catch {
      // already closed by the peer
    }
    return Promise.resolve();
  }

  /** Collectors send nothing back; a read that ends means the collector closed the session. */
  async #watch(conn: Deno.TcpConn): Promise<void> {
    const scratch = new Uint8Array(512);
    try {
      while ((await conn.read(scratch)) !== null) {
        // IPFIX collectors do not talk back; ignore anything that comes.
      }
    } catch {
      // reset by the peer, or closed here
    }
    if (this.#conn === conn) {
      this.#conn = undefined;
      try {
        conn.close();
      } catch {
        // closed already
      }
    }
  }

  async #write(message: Uint8Array): Promise<void> {
    const conn = this.#conn;
    const where = `${this.config.host}:${this.config.port}`;
    if (!conn) throw new ExportError(`IPFIX collector ${where} closed the connection`);
    try {
      for (let at = 0; at < message.length;) at += await conn.write(message.subarray(at));
    } catch (error) {
      await this.close();
      throw new ExportError(`Cannot send IPFIX to ${where}: ${(error as Error).message}`);
    }
  }
}
