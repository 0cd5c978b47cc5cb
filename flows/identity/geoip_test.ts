// Tests for GeoIP lookups: MaxMind, IPinfo Lite and ip-location-db layouts in generated MMDB
// files, private ranges skipped, reload on change, and clear errors for bad files.

import assert from "node:assert/strict";
import { GeoIp, isPublic } from "./geoip.ts";
import { writeMmdb } from "../../tests/helpers/mmdb_writer.ts";

const v4 = (text: string) => [text.split(".").reduce((a, p) => a * 256 + Number(p), 0)];
const GOOGLE_V6 = [0x2a001450, 0x40010000, 0, 0x200e]; // 2a00:1450:4001::200e

async function tempFile(bytes: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".mmdb" });
  await Deno.writeFile(path, bytes);
  return path;
}

/** A GeoLite2-Country-like file, a GeoLite2-ASN-like file, and an IPinfo Lite-like file. */
function databases() {
  const country = writeMmdb([
    {
      network: "8.8.8.0/24",
      data: { country: { iso_code: "US", names: { en: "United States" } } },
    },
    { network: "1.1.1.0/24", data: { registered_country: { iso_code: "AU" } } },
    {
      network: "2a00:1450::/32",
      data: { country: { iso_code: "IE" }, city: { names: { en: "Dublin" } } },
    },
    { network: "81.88.57.0/24", data: { country: { iso_code: "IT" } } },
  ], "GeoLite2-Country");
  const asn = writeMmdb([
    {
      network: "8.8.8.0/24",
      data: { autonomous_system_number: 15169, autonomous_system_organization: "Google LLC" },
    },
    {
      network: "1.1.1.0/24",
      data: { autonomous_system_number: 13335, autonomous_system_organization: "Cloudflare, Inc." },
    },
  ], "GeoLite2-ASN");
  const ipinfo = writeMmdb([
    {
      network: "81.88.57.0/24",
      data: { asn: "AS39729", as_name: "Register S.p.A.", country_code: "IT" },
    },
    {
      network: "2a00:1450::/32",
      data: { asn: "AS15169", as_name: "Google LLC", country_code: "IE" },
    },
    { network: "5.5.0.0/16", data: { country_code: "de" } }, // ip-location-db country layout
  ], "ipinfo lite.mmdb");
  return { country, asn, ipinfo };
}

Deno.test("GeoIp merges country, AS number and organisation from several layouts", async () => {
  const d = databases();
  const paths = [await tempFile(d.country), await tempFile(d.asn), await tempFile(d.ipinfo)];
  const geo = GeoIp.open(paths);
  assert.deepEqual(geo.databases.map((x) => x.type), [
    "GeoLite2-Country",
    "GeoLite2-ASN",
    "ipinfo lite.mmdb",
  ]);
  assert.deepEqual(geo.lookup(v4("8.8.8.8"), 0, false), {
    country: "US",
    asn: 15169,
    asOrg: "Google LLC",
  });
  assert.deepEqual(geo.lookup(v4("1.1.1.1"), 0, false), {
    country: "AU",
    asn: 13335,
    asOrg: "Cloudflare, Inc.",
  });
  assert.deepEqual(geo.lookup(v4("81.88.57.89"), 0, false), {
    country: "IT",
    asn: 39729,
    asOrg: "Register S.p.A.",
  });
  assert.deepEqual(geo.lookup(GOOGLE_V6, 0, true), {
    country: "IE",
    city: "Dublin",
    asn: 15169,
    asOrg: "Google LLC",
  });
  assert.deepEqual(geo.lookup(v4("5.5.5.5"), 0, false), { country: "DE" });
  assert.equal(geo.lookup(v4("9.9.9.9"), 0, false), undefined);
  for (const p of paths) await Deno.remove(p);
});

Deno.test("GeoIp never looks up private or reserved addresses", async () => {
  const path = await tempFile(
    writeMmdb([{ network: "10.0.0.0/8", data: { country: { iso_code: "ZZ" } } }]),
  );
  const geo = GeoIp.open([path]);
  assert.equal(geo.lookup(v4("10.1.2.3"), 0, false), undefined);
  assert.equal(geo.skipped, 1);
  assert.equal(geo.lookups, 0);
  for (
    const a of [
      "192.168.1.1",
      "172.20.0.1",
      "127.0.0.1",
      "169.254.1.1",
      "100.64.0.1",
      "224.0.0.251",
      "255.255.255.255",
      "192.0.2.1",
      "0.0.0.0",
    ]
  ) {
    assert.equal(isPublic(v4(a), 0, false), false, a);
  }
  assert.equal(isPublic(v4("8.8.8.8"), 0, false), true);
  assert.equal(isPublic([0xfe800000, 0, 0, 1], 0, true), false);
  assert.equal(isPublic([0xfd000000, 0, 0, 1], 0, true), false);
  assert.equal(isPublic([0xff020000, 0, 0, 0xfb], 0, true), false);
  assert.equal(isPublic([0, 0, 0, 1], 0, true), false);
  assert.equal(isPublic([0, 0, 0xffff, 0x08080808], 0, true), true); // ::ffff:8.8.8.8
  assert.equal(isPublic(GOOGLE_V6, 0, true), true);
  await Deno.remove(path);
});

Deno.test("GeoIp reloads a file that changed and keeps the old copy when it breaks", async () => {
  const path = await tempFile(
    writeMmdb([{ network: "8.8.8.0/24", data: { country: { iso_code: "US" } } }]),
  );
  const geo = GeoIp.open([path]);
  assert.equal(geo.refresh(), 0);
  await Deno.writeFile(
    path,
    writeMmdb([{ network: "8.8.8.0/24", data: { country: { iso_code: "CA" } } }]),
  );
  await Deno.utime(path, new Date(), new Date(Date.now() + 5000));
  const said: string[] = [];
  const warn = (line: string) => said.push(line);
  assert.equal(geo.refresh(warn), 1);
  assert.equal(geo.lookup(v4("8.8.8.8"), 0, false)?.country, "CA");
  assert.deepEqual(said, [`netwatch: GeoIP: reloaded "${path}" (Test-DB)`]);
  await Deno.writeTextFile(path, "not a database");
  await Deno.utime(path, new Date(), new Date(Date.now() + 10000));
  geo.refresh(warn);
  assert.match(geo.lastError ?? "", /not a MaxMind-format/);
  assert.equal(geo.lookup(v4("8.8.8.8"), 0, false)?.country, "CA");
  // The fault is said once, not at every check while the file stays broken.
  geo.refresh(warn);
  assert.equal(said.length, 2, said.join("\n"));
  assert.match(said[1], /^netwatch: GeoIP: keeping the copy loaded before: .*not a MaxMind-format/);
  await Deno.remove(path);
});

Deno.test("GeoIp.open() says which file is missing or not a database", async () => {
  assert.throws(
    () => GeoIp.open(["/nonexistent/geo.mmdb"]),
    /Cannot read GeoIP database "\/nonexistent\/geo.mmdb"/,
  );
  const path = await Deno.makeTempFile();
  await Deno.writeTextFile(path, "hello");
  assert.throws(() => GeoIp.open([path]), /is not a MaxMind-format \(\.mmdb\) database/);
  await Deno.remove(path);
});

Deno.test("GeoIp asks an IPv4-only file about IPv4 addresses only", async () => {
  // ip-location-db ships "-ipv4" and "-ipv6" files. mmdb-lib answers an IPv6 address from an
  // IPv4 tree by its first 32 bits (2a00:1450:: read as 42.0.20.80), which must not count.
  const v4only = writeMmdb(
    [
      { network: "42.0.0.0/8", data: { country_code: "KR" } },
      { network: "8.8.8.0/24", data: { country_code: "US" } },
    ],
    "country ipv4",
    4,
  );
  const both = writeMmdb([
    { network: "2a00:1450::/32", data: { country: { iso_code: "IE" } } },
  ], "GeoLite2-Country");
  const geo = GeoIp.open([await tempFile(v4only), await tempFile(both)]);
  assert.equal(geo.lookup(v4("8.8.8.8"), 0, false)?.country, "US");
  assert.equal(geo.lookup(GOOGLE_V6, 0, true)?.country, "IE");
});
