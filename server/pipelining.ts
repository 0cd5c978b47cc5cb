// Pipelined HTTP/1.1 requests are answered one at a time per connection, and a connection that
// queues too many unanswered is closed.
//
// node:http parses every request a read holds and emits them at once; under Deno it never pauses
// the socket for a client that does not read its answers. So a client that wrote 20,000 requests
// for large pages on 4 connections and read nothing had all of them computed and buffered: RSS
// from 170 MiB to 3.5 GiB, /health 20 s, still growing after it hung up (measured). Answering in
// turn (as nginx does) means an unread answer stops the next one. Past PAUSE_AT waiting, the
// connection is not read (TCP pushes back on the client) until fewer wait; the requests
// one read already held still queue, and past MAX_PIPELINED the connection is closed.

/** Waiting requests at which a connection stops being read until fewer wait. */
export const PAUSE_AT = 16;
/** Requests one connection may have waiting at most (one 16 KiB read holds about 400 tiny ones). */
export const MAX_PIPELINED = 1024;

/** What the queue needs of a response: its end (node's "close", after the last byte is written). */
interface Answer {
  once(event: "close", listener: () => void): unknown;
}

/** What the queue needs of a connection: to stop and restart reading it (ConnSocket). */
export interface Holdable {
  hold(): void;
  release(): void;
}

/** The per-connection queues of one server. */
export class Pipelining {
  readonly #tails = new WeakMap<Holdable, Promise<void>>();
  readonly #waiting = new WeakMap<Holdable, number>();
  readonly #limit: number;
  readonly #pauseAt: number;

  constructor(limit = MAX_PIPELINED, pauseAt = PAUSE_AT) {
    this.#limit = limit;
    this.#pauseAt = pauseAt;
  }

  /**
   * Runs `handle` once every earlier request on `socket` has been answered. Returns false, and
   * runs nothing, when `limit` requests already wait there: the caller closes the connection.
   */
  enqueue(socket: Holdable, answer: Answer, handle: () => void): boolean {
    const waiting = this.#waiting.get(socket) ?? 0;
    if (waiting >= this.#limit) return false;
    this.#waiting.set(socket, waiting + 1);
    if (waiting + 1 >= this.#pauseAt) socket.hold();
    const previous = this.#tails.get(socket);
    const done = new Promise<void>((resolve) => answer.once("close", resolve));
    this.#tails.set(socket, done);
    done.then(() => {
      const left = (this.#waiting.get(socket) ?? 1) - 1;
      this.#waiting.set(socket, left);
      // Below the mark, not at 0: a waiting request may need its body read to finish.
      if (left < this.#pauseAt) socket.release();
    });
    if (previous) previous.then(handle);
    else handle();
    return true;
  }
}
