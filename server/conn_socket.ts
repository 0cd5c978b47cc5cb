// A node Duplex over a Deno.Conn: what lets node:http and ws serve connections that Netwatch's
// own accept loop took (server/serve.ts says why the loop is ours).

import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";

/** Bytes asked of the kernel per read. */
const READ_SIZE = 16 * 1024;

/** One accepted TCP connection, as the socket node:http and ws expect. */
export class ConnSocket extends Duplex {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly #conn: Deno.Conn;
  #reading = false;
  #held = false;
  /** When the write now pending began waiting for the kernel to take bytes (0: none pending). */
  #stalledSince = 0;

  constructor(conn: Deno.Conn) {
    super({ allowHalfOpen: false });
    this.#conn = conn;
    const remote = conn.remoteAddr as Deno.NetAddr;
    const local = conn.localAddr as Deno.NetAddr;
    this.remoteAddress = remote.hostname;
    this.remotePort = remote.port;
    this.localAddress = local.hostname;
    this.localPort = local.port;
    // node:http writes a response head and body separately: with Nagle's algorithm on, a kept-
    // alive connection waits out the peer's delayed ACK (40 ms) between them (measured).
    this.setNoDelay(true);
  }

  /** Reads until the stream's buffer is full (push() says so) or the peer ends. */
  override async _read(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      for (;;) {
        const chunk = new Uint8Array(READ_SIZE);
        const n = await this.#conn.read(chunk);
        if (n === null) {
          this.push(null);
          return;
        }
        if (!this.push(Buffer.from(chunk.buffer, 0, n))) return;
      }
    } catch (error) {
      // Reads fail once the connection is closed under them (a reset, or our own destroy()).
      if (!this.destroyed) this.destroy(error as Error);
    } finally {
      this.#reading = false;
    }
  }

  override _write(
    chunk: Buffer,
    _encoding: string,
    callback: (error?: Error | null) => void,
  ): void {
    this.#writeAll(chunk).then(() => callback(), (error) => callback(error));
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.#conn.closeWrite();
    } catch {
      // the peer is gone already
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    callback(error);
  }

  /**
   * Stops reading until release(), whatever node:http does meanwhile: its parser resumes the
   * socket after every request it parses, so pause() alone does not hold (server/pipelining.ts).
   */
  hold(): void {
    this.#held = true;
    super.pause();
  }

  /** Reads again after hold() (nothing when not held: node may have paused it itself). */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    super.resume();
  }

  override resume(): this {
    return this.#held ? this : super.resume();
  }

  // node:http and ws call these on net.Socket; timeouts are ConnectionGuard's job here.
  setTimeout(): this {
    return this;
  }
  setNoDelay(noDelay = true): this {
    try {
      (this.#conn as Deno.TcpConn).setNoDelay(noDelay);
    } catch {
      // closed
    }
    return this;
  }
  setKeepAlive(): this {
    return this;
  }

  /**
   * Since when (ms) a write has waited for the kernel to take any byte: the peer is not reading
   * (ConnectionGuard treats it like a peer that is not sending). 0 when no write waits.
   */
  get writeStalledSince(): number {
    return this.#stalledSince;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let at = 0;
    try {
      while (at < bytes.length) {
        this.#stalledSince = Date.now();
        at += await this.#conn.write(bytes.subarray(at));
      }
    } finally {
      this.#stalledSince = 0;
    }
  }
}
