// mergeTalkers() over fake shards: the exact top k of hosts whose traffic is spread over
// shards, and bounded work when thousands of one-packet sources tie below the heavy hosts.

import assert from "node:assert/strict";
import type { HostStats } from "../flows/host_views.ts";
import { mulberry32 } from "../tests/helpers/random.ts";
import {
  CANDIDATES_PER_SHARD,
  mergeTalkers,
  rankHosts,
  sumHosts,
  type TalkerShards,
} from "./merge.ts";

function host(address: string, sent: number, received: number): HostStats {
  return {
    address,
    bytes_sent: sent,
    bytes_received: received,
    packets_sent: 1,
    packets_received: 1,
    rate_sent: 0,
    rate_received: 0,
    name: null,
    country: null,
    asn: null,
  };
}

/** Shards over fixed lists, recording what each round asked. */
function fakeShards(lists: HostStats[][]) {
  const asked = { candidatesSent: [] as number[], described: [] as string[][], exact: 0 };
  const ranked = lists.map((l) => rankHosts(l, "bytes", false));
  const shards: TalkerShards = {
    count: lists.length,
    top: (limit) => Promise.resolve(ranked.map((l) => l.slice(0, limit).map(named))),
    candidates: (cap) => {
      const out = ranked.map((l) =>
        l.slice(0, cap).filter((h) => h.bytes_sent + h.bytes_received > 0)
      );
      asked.candidatesSent.push(...out.map((l) => l.length));
      return Promise.resolve(out);
    },
    exact: (addresses, describe) => {
      const want = new Set(addresses);
      if (describe) asked.described.push(addresses);
      else asked.exact = Math.max(asked.exact, addresses.length);
      return Promise.resolve(
        lists.map((l) =>
          l.filter((h) => want.has(h.address)).map((h) => (describe ? named(h) : h))
        ),
      );
    },
  };
  return { shards, asked };
}

function named(h: HostStats): HostStats {
  return { ...h, name: `name-of-${h.address}` };
}

Deno.test("mergeTalkers() gives the exact top k of hosts spread over shards, with their names", async () => {
  const random = mulberry32(7);
  for (let round = 0; round < 50; round++) {
    const shardCount = 2 + (round % 3);
    const lists: HostStats[][] = Array.from({ length: shardCount }, () => []);
    for (let a = 0; a < 300; a++) {
      for (let s = 0; s < shardCount; s++) {
        if (random() < 0.5) {
          lists[s].push(host(`10.0.${a >> 8}.${a & 255}`, Math.floor(random() * 1000), 7));
        }
      }
    }
    const { shards } = fakeShards(lists);
    const got = await mergeTalkers(shards, "5m", "bytes", 10);
    const want = rankHosts(sumHosts(lists).values(), "bytes", false).slice(0, 10);
    assert.deepEqual(
      got.map((h) => [h.address, h.bytes_sent]),
      want.map((h) => [h.address, h.bytes_sent]),
    );
    for (const h of got) assert.equal(h.name, `name-of-${h.address}`);
  }
});

Deno.test("mergeTalkers() stays exact when each shard has more hosts than it sends, on a long tail", async () => {
  const random = mulberry32(11);
  const shardCount = 3;
  const lists: HostStats[][] = Array.from({ length: shardCount }, () => []);
  // 20,000 hosts, host r with about 10^7 / r^1.1 bytes, each split at random over the shards.
  for (let r = 1; r <= 20_000; r++) {
    const bytes = Math.floor(1e7 / r ** 1.1);
    const address = `10.${r >> 16}.${(r >> 8) & 255}.${r & 255}`;
    const shares = Array.from({ length: shardCount }, () => random());
    const sum = shares.reduce((a, b) => a + b, 0);
    shares.forEach((w, s) => lists[s].push(host(address, Math.floor((bytes * w) / sum), 0)));
  }
  const { shards, asked } = fakeShards(lists);
  const got = await mergeTalkers(shards, "15m", "bytes", 25);
  const want = rankHosts(sumHosts(lists).values(), "bytes", false).slice(0, 25);
  assert.deepEqual(
    got.map((h) => [h.address, h.bytes_sent]),
    want.map((h) => [h.address, h.bytes_sent]),
  );
  assert.ok(
    asked.candidatesSent.every((n) => n === CANDIDATES_PER_SHARD),
    `${asked.candidatesSent}`,
  );
});

Deno.test("mergeTalkers() over a flood of tied one-packet sources asks each shard for a bounded list and keeps the heavy hosts exact", async () => {
  const server = host("192.0.2.1", 0, 5_000_000);
  const heavy = [1, 2, 3, 4, 5].map((i) => host(`198.51.100.${i}`, 100_000 * i, 0));
  const lists: HostStats[][] = [[], []];
  // 40,000 sources of one 60-byte SYN each, split between the shards; the server and the
  // heavy hosts' traffic is split too.
  for (let i = 0; i < 40_000; i++) {
    lists[i & 1].push(host(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 60, 0));
  }
  for (const h of [server, ...heavy]) {
    lists[0].push({ ...h, bytes_sent: h.bytes_sent / 2, bytes_received: h.bytes_received / 2 });
    lists[1].push({ ...h, bytes_sent: h.bytes_sent / 2, bytes_received: h.bytes_received / 2 });
  }
  const { shards, asked } = fakeShards(lists);
  const got = await mergeTalkers(shards, "1m", "bytes", 10);
  assert.deepEqual(
    got.slice(0, 6).map((h) => [h.address, h.bytes_sent + h.bytes_received]),
    [server, ...heavy.toReversed()].map((h) => [h.address, h.bytes_sent + h.bytes_received]),
  );
  assert.equal(got.length, 10);
  for (const h of got.slice(6)) assert.equal(h.bytes_sent, 60, h.address);
  assert.ok(
    asked.candidatesSent.every((n) => n <= CANDIDATES_PER_SHARD),
    `${asked.candidatesSent}`,
  );
  assert.ok(asked.exact <= 2 * CANDIDATES_PER_SHARD, `${asked.exact} candidates`);
  assert.deepEqual(asked.described.map((a) => a.length), [10], "names for the winners only");
});
