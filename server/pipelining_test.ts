// Pipelining on fake sockets and answers: in turn, held past PAUSE_AT, refused past the cap.

import assert from "node:assert/strict";
import { type Holdable, Pipelining } from "./pipelining.ts";

class FakeSocket implements Holdable {
  held = false;
  hold(): void {
    this.held = true;
  }
  release(): void {
    this.held = false;
  }
}

class FakeAnswer {
  #listeners: (() => void)[] = [];
  once(_event: "close", listener: () => void): void {
    this.#listeners.push(listener);
  }
  close(): void {
    for (const listener of this.#listeners) listener();
  }
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("Pipelining runs a connection's requests in turn, holds it, and refuses past the cap", async () => {
  const pipelining = new Pipelining(4, 2);
  const socket = new FakeSocket();
  const ran: number[] = [];
  const answers = [0, 1, 2, 3].map(() => new FakeAnswer());
  answers.forEach((answer, i) => {
    assert.ok(pipelining.enqueue(socket, answer, () => ran.push(i)));
  });
  assert.equal(pipelining.enqueue(socket, new FakeAnswer(), () => ran.push(99)), false);
  await turn();
  assert.deepEqual(ran, [0], "the second ran before the first was answered");
  assert.ok(socket.held);
  answers[0].close();
  await turn();
  assert.deepEqual(ran, [0, 1]);
  assert.ok(socket.held, "read again with 3 waiting");
  answers[1].close();
  answers[2].close();
  await turn();
  assert.ok(!socket.held, "still held with 1 waiting (its body may be unread)");
  answers[3].close();
  await turn();
  assert.deepEqual(ran, [0, 1, 2, 3]);
  assert.ok(!socket.held, "still held with nothing waiting");
  // Another connection has its own queue.
  const other: number[] = [];
  assert.ok(pipelining.enqueue(new FakeSocket(), new FakeAnswer(), () => other.push(1)));
  assert.deepEqual(other, [1]);
});
