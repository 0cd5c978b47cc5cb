// Shard: what it tells the main thread about its tables right after a shutdown's endAll().

import assert from "node:assert/strict";
import { batchOf } from "../tests/helpers/packets.ts";
import { Shard } from "./shard.ts";

Deno.test("Shard.endAll() ends every flow and says at once how old the oldest ended one is", () => {
  const shard = new Shard();
  shard.add(batchOf([
    { ts: 1000, src: "10.0.0.1", dst: "10.0.0.2", proto: 17, sport: 1, dport: 2, len: 100 },
    { ts: 1001, src: "10.0.0.2", dst: "10.0.0.1", proto: 17, sport: 2, dport: 1, len: 100 },
  ]));
  shard.tick(1002, 0);
  const figures = () => shard.answer({ op: "figures" }, 1002);
  assert.equal(figures().flows.oldest_ended, null, "nothing has ended yet");
  shard.endAll();
  // /flows reads from disk only what ended before this: stale, it listed these flows twice.
  assert.equal(figures().flows.oldest_ended, 1001);
  assert.equal(figures().flows.active, 0);
});
