// The shared hash index against a reference model: inserts, removals, growth and probe lengths.

import assert from "node:assert/strict";
import { HashIndex, hashIndexBytesPerRecord, MAX_DIB } from "./hash_index.ts";
import { mulberry32 } from "../tests/helpers/random.ts";

/** A reference model: a Map from slot to hash, checked against the index after every step. */
function find(index: HashIndex, h: number, slot: number): boolean {
  for (let s = index.first(h); s >= 0; s = index.next()) if (s === slot) return true;
  return false;
}

Deno.test("HashIndex finds what was inserted and forgets what was removed", () => {
  const rnd = mulberry32(11);
  const max = 5000;
  const index = new HashIndex(max, 16);
  const hashes = new Map<number, number>();
  const free: number[] = [];
  for (let s = max - 1; s >= 0; s--) free.push(s);
  const rebuild = (records: number) => {
    index.reset(records);
    for (const [slot, h] of hashes) assert(index.insert(h, slot));
  };
  for (let step = 0; step < 200_000; step++) {
    if (free.length > 0 && (rnd() < 0.55 || hashes.size === 0)) {
      const slot = free.pop()!;
      // Few distinct hashes now and then, to make long runs and equal homes.
      const h = rnd() < 0.2 ? Math.floor(rnd() * 64) * 0x04000000 : (rnd() * 2 ** 32) >>> 0;
      if (index.needsGrowth) rebuild(index.grownRecords());
      hashes.set(slot, h);
      if (!index.insert(h, slot)) rebuild(index.grownRecords());
    } else {
      const slots = [...hashes.keys()];
      const slot = slots[Math.floor(rnd() * slots.length)];
      assert(index.remove(hashes.get(slot)!, slot));
      hashes.delete(slot);
      free.push(slot);
    }
    if (step % 997 === 0) {
      assert.equal(index.count, hashes.size);
      for (const [slot, h] of hashes) assert(find(index, h, slot), `slot ${slot} lost`);
      for (const slot of free.slice(-20)) assert(!find(index, (slot * 2654435761) >>> 0, slot));
    }
  }
});

Deno.test("HashIndex's tag tells apart entries that share a home bucket", () => {
  // A lookup of an absent key should almost never hand back a candidate for the caller to
  // compare (each compare is a cache miss on a record). Entries that share a home share the
  // top bits of their hashes, so the tag must come from other bits.
  const rnd = mulberry32(5);
  const max = 100_000;
  const index = new HashIndex(max);
  for (let s = 0; s < 75_000; s++) assert(index.insert((rnd() * 2 ** 32) >>> 0, s));
  let candidates = 0;
  const lookups = 20_000;
  for (let k = 0; k < lookups; k++) {
    for (let s = index.first((rnd() * 2 ** 32) >>> 0); s >= 0; s = index.next()) candidates++;
  }
  // 9 tag bits here: about 0.75 / 512 a lookup; a tag of the home's bits gives about 0.75.
  assert(candidates / lookups < 0.02, `${candidates} candidates in ${lookups} lookups`);
});

Deno.test("HashIndex.remove() of an absent slot changes nothing", () => {
  const index = new HashIndex(100);
  assert(index.insert(123, 5));
  assert.equal(index.remove(123, 6), false);
  assert.equal(index.remove(0x80000000, 5), false);
  assert(find(index, 123, 5));
  assert.equal(index.count, 1);
});

Deno.test("HashIndex reports an overflow when one home holds more than MAX_DIB entries", () => {
  const index = new HashIndex(1000);
  let overflowed = false;
  for (let s = 0; s <= MAX_DIB + 1 && !overflowed; s++) overflowed = !index.insert(7, s);
  assert(overflowed && index.overflowed);
  index.reset(1000);
  assert.equal(index.overflowed, false);
  assert.equal(index.count, 0);
});

Deno.test("HashIndex grows by doubling up to its cap's size at the load factor, no further", () => {
  const rnd = mulberry32(5);
  const max = 10_000;
  const index = new HashIndex(max, 16);
  const hashes: number[] = [];
  const rebuild = (records: number) => {
    index.reset(records);
    hashes.forEach((h, slot) => assert(index.insert(h, slot)));
  };
  for (let slot = 0; slot < max; slot++) {
    const h = (rnd() * 2 ** 32) >>> 0;
    if (index.needsGrowth) rebuild(index.grownRecords());
    hashes.push(h);
    if (!index.insert(h, slot)) rebuild(index.grownRecords());
  }
  // Doubling from 16 records alone ends at 24,575 entries (9.8 B a record); the cap is 13,335.
  const cap = Math.ceil(max / 0.75) + 1;
  assert.equal(index.size, cap);
  assert.ok((index.size * 4) / max <= hashIndexBytesPerRecord() + 0.01);
  hashes.forEach((h, slot) => assert(find(index, h, slot)));
  // A probe that overflows at the cap may still take the reserve beyond it.
  assert.equal(index.grownSize(), cap * 2);
});
