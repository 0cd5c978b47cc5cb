// Tests for the bounded name interner: ids, reference counts, recycling and counted drops.

import assert from "node:assert/strict";
import { NameTable, NO_NAME } from "./name_table.ts";

Deno.test("NameTable interns a name once and counts its holders", () => {
  const t = new NameTable(4);
  const a = t.intern("www.example.com");
  assert.notEqual(a, NO_NAME);
  assert.equal(t.intern("www.example.com"), a);
  assert.equal(t.refsOf(a), 2);
  assert.equal(t.nameOf(a), "www.example.com");
  assert.equal(t.find("www.example.com"), a);
  assert.equal(t.intern(""), NO_NAME);
});

Deno.test("NameTable recycles the least recently released unheld name when full", () => {
  const t = new NameTable(2);
  const a = t.intern("a.example");
  const b = t.intern("b.example");
  t.release(b);
  t.release(a); // a released after b: b is the older unheld entry
  const c = t.intern("c.example");
  assert.equal(c, b);
  assert.equal(t.find("b.example"), NO_NAME);
  assert.equal(t.nameOf(a), "a.example"); // still cached
  // A released name asked again is reused without taking a new entry.
  assert.equal(t.intern("a.example"), a);
  assert.equal(t.size, 2);
});

Deno.test("NameTable drops (and counts) a name when every entry is held", () => {
  const t = new NameTable(2);
  t.intern("a");
  t.intern("b");
  assert.equal(t.intern("c"), NO_NAME);
  assert.equal(t.drops, 1);
  assert.equal(t.size, 2);
});

Deno.test("NameTable ignores releases of unknown ids and never goes below zero", () => {
  const t = new NameTable(2);
  const a = t.intern("a");
  t.release(a);
  t.release(a);
  t.release(99);
  t.release(NO_NAME);
  assert.equal(t.refsOf(a), 0);
  t.retain(a);
  assert.equal(t.refsOf(a), 1);
  // Held again: not recyclable.
  t.intern("b");
  assert.equal(t.intern("c"), NO_NAME);
});
