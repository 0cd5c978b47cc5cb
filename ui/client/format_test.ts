// Tests of the dashboard's unit formatting.

import assert from "node:assert/strict";
import {
  countryName,
  describePlace,
  formatBitRate,
  formatByteRateAsBits,
  formatBytes,
  formatClock,
  formatCount,
  formatDuration,
  formatEndpoint,
  formatExact,
  formatPacketRate,
  formatSeen,
  formatShare,
} from "./format.ts";

Deno.test("formatBitRate() uses SI prefixes with three significant digits", () => {
  assert.equal(formatBitRate(0), "0 bit/s");
  assert.equal(formatBitRate(999), "999 bit/s");
  assert.equal(formatBitRate(1000), "1.00 kbit/s");
  assert.equal(formatBitRate(12_345), "12.3 kbit/s");
  assert.equal(formatBitRate(123_456_789), "123 Mbit/s");
  assert.equal(formatBitRate(999_600), "1.00 Mbit/s");
  assert.equal(formatBitRate(2.5e9), "2.50 Gbit/s");
  assert.equal(formatBitRate(12.5), "12.5 bit/s");
});

Deno.test("formatByteRateAsBits() states byte rates in bit/s", () => {
  assert.equal(formatByteRateAsBits(125_000), "1.00 Mbit/s");
});

Deno.test("formatBytes() uses SI (1 kB = 1000 B), not binary prefixes", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1024), "1.02 kB");
  assert.equal(formatBytes(1_471_808), "1.47 MB");
  assert.equal(formatBytes(5e12), "5.00 TB");
});

Deno.test("formatPacketRate() and formatCount() read naturally", () => {
  assert.equal(formatPacketRate(1200), "1.20 kpkt/s");
  assert.equal(formatPacketRate(3), "3 pkt/s");
  assert.equal(formatCount(1234567), "1,234,567");
  assert.equal(formatCount(Number.NaN), "–");
});

Deno.test("formatExact() gives the unrounded figure for tooltips", () => {
  assert.equal(formatExact(12_345_678.4, "bit/s"), "12,345,678 bit/s");
  assert.equal(formatExact(1.234, "pkt/s"), "1.23 pkt/s");
});

Deno.test("formatShare() gives a percentage and a dash for an empty whole", () => {
  assert.equal(formatShare(1, 3), "33.3 %");
  assert.equal(formatShare(5, 5), "100 %");
  assert.equal(formatShare(1, 0), "–");
});

Deno.test("formatDuration() picks the unit by size", () => {
  assert.equal(formatDuration(0.25), "250 ms");
  assert.equal(formatDuration(4.26), "4.3 s");
  assert.equal(formatDuration(42), "42 s");
  assert.equal(formatDuration(185), "3 min 05 s");
  assert.equal(formatDuration(7620), "2 h 07 min");
  assert.equal(formatDuration(3 * 86400 + 4 * 3600), "3 d 04 h");
  assert.equal(formatDuration(-1), "–");
});

Deno.test("formatClock() prints local HH:MM:SS", () => {
  const d = new Date(2024, 0, 2, 3, 4, 5);
  assert.equal(formatClock(d.getTime() / 1000), "03:04:05");
});

Deno.test("formatEndpoint() brackets IPv6 addresses", () => {
  assert.equal(formatEndpoint("10.0.0.1", 443), "10.0.0.1:443");
  assert.equal(formatEndpoint("2001:db8::1", 443), "[2001:db8::1]:443");
  assert.equal(formatEndpoint("2001:db8::1", null), "2001:db8::1");
});

Deno.test("describePlace() spells out the country and keeps its code, the AS and its owner", () => {
  assert.equal(countryName("DE"), "Germany");
  assert.equal(countryName("US"), "United States");
  assert.equal(countryName("not a code"), "not a code");
  assert.equal(describePlace("SE", null), "Sweden (SE)");
  assert.equal(
    describePlace("NL", 14907, "Wikimedia Foundation Inc."),
    "Netherlands (NL) · AS14907 Wikimedia Foundation Inc.",
  );
  assert.equal(describePlace(null, 3320), "AS3320");
  assert.equal(describePlace(null, null), "");
});

Deno.test("formatSeen() adds the date when it is not today, and the year when not this year", () => {
  const local = (...parts: number[]) =>
    new Date(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5]).getTime() / 1000;
  const now = local(2026, 3, 14, 12, 0, 0);
  assert.equal(formatSeen(local(2026, 3, 14, 0, 0, 1), now), "00:00:01");
  assert.equal(formatSeen(local(2026, 3, 13, 23, 59, 59), now), "03-13 23:59:59");
  assert.equal(formatSeen(local(2025, 12, 31, 8, 5, 9), now), "2025-12-31 08:05:09");
  // Over a range of days every row has its date, today's too.
  assert.equal(formatSeen(local(2026, 3, 14, 9, 30, 0), now, true), "03-14 09:30:00");
});
