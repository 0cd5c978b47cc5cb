// Places end to end: `serve --geoip` with two MaxMind-format files (a country file and an ASN
// file, as GeoLite2 ships them) replays a real capture; talkers and host details must carry what
// the files say of each public address, nothing for private ones, and a file that is not a
// database must stop the start with one line naming it. Without --geoip, the built-in DB-IP
// country database places public addresses as libmaxminddb's mmdblookup reads the same file.

import assert from "node:assert/strict";
import { bundledGeoipPath } from "../cli/bundled_geoip.ts";
import { addressWordsOf } from "../flows/address_parse.ts";
import { isPublic } from "../flows/identity/geoip.ts";
import { runCli } from "./helpers/cli.ts";
import { corpusPath } from "./helpers/corpus.ts";
import { writeMmdb } from "./helpers/mmdb_writer.ts";
import { launchServe, startServer } from "./helpers/serve.ts";

/** TLS to public servers from one private client: 334 flows. */
const FILE = corpusPath("real/pcapplusplus_tls2.pcap");

interface Talker {
  address: string;
  country: string | null;
  asn: number | null;
}

/** Every IPv4 address of the capture, from the report. */
async function addresses(): Promise<string[]> {
  const out = await runCli(["report", FILE, "--flows", "--format", "json"]);
  assert.equal(out.code, 0, out.stderr);
  const flows = JSON.parse(out.stdout).flows as { src_ip: string; dst_ip: string }[];
  return [...new Set(flows.flatMap((f) => [f.src_ip, f.dst_ip]))].filter((a) => a.includes("."));
}

Deno.test("--geoip: talkers and hosts carry the country and AS the files give public addresses", async () => {
  const all = await addresses();
  const pub = all.filter(isPublicText).sort();
  const priv = all.filter((a) => !isPublicText(a));
  assert.ok(pub.length >= 5 && priv.length >= 1, `public ${pub.length}, private ${priv.length}`);
  // A country and an AS made up per address, so a wrong lookup cannot pass by chance. The
  // private addresses are in the files too: Netwatch must not look them up.
  const countries = ["DE", "FR", "JP", "BR", "CA", "NL", "SE"];
  const expected = new Map(
    pub.map((a, i) => [a, { country: countries[i % countries.length], asn: 64_512 + i }]),
  );
  const countryFile = await Deno.makeTempFile({ suffix: ".mmdb" });
  const asnFile = await Deno.makeTempFile({ suffix: ".mmdb" });
  await Deno.writeFile(
    countryFile,
    writeMmdb(
      [
        ...pub.map((a) => ({
          network: `${a}/32`,
          data: { country: { iso_code: expected.get(a)!.country } },
        })),
        ...priv.map((a) => ({ network: `${a}/32`, data: { country: { iso_code: "AQ" } } })),
      ],
      "GeoLite2-Country",
    ),
  );
  await Deno.writeFile(
    asnFile,
    writeMmdb(
      pub.map((a) => ({
        network: `${a}/32`,
        data: {
          autonomous_system_number: expected.get(a)!.asn,
          autonomous_system_organization: `Org ${a}`,
        },
      })),
      "GeoLite2-ASN",
    ),
  );
  const server = await startServer(FILE, ["--geoip", countryFile, "--geoip", asnFile]);
  try {
    const talkers = (await (await fetch(`${server.base}/api/v1/talkers?window=60m&limit=1000`))
      .json()).talkers as Talker[];
    assert.ok(talkers.length >= 5, `${talkers.length} talkers`);
    let placed = 0;
    for (const t of talkers) {
      const want = expected.get(t.address);
      if (want) {
        assert.deepEqual({ country: t.country, asn: t.asn }, want, t.address);
        placed++;
      } else {
        // Not in the files (a private address, or an IPv6 one): the built-in country database,
        // consulted after them, places the public ones.
        const country = isPublicText(t.address)
          ? await mmdblookupCountry(bundledGeoipPath(), t.address)
          : null;
        assert.deepEqual({ country: t.country, asn: t.asn }, { country, asn: null }, t.address);
      }
    }
    assert.ok(placed >= 5, `${placed} talkers placed`);
    const host = pub[0];
    const detail = await (await fetch(`${server.base}/api/v1/hosts/${host}`)).json();
    assert.equal(detail.place.country, expected.get(host)!.country);
    assert.equal(detail.place.asn, expected.get(host)!.asn);
    assert.equal(detail.place.as_org, `Org ${host}`);
    const inside = await (await fetch(`${server.base}/api/v1/hosts/${priv[0]}`)).json();
    assert.equal(inside.place.country, null, "private addresses are never looked up");
  } finally {
    assert.equal(await server.stop(), 0);
    await Deno.remove(countryFile);
    await Deno.remove(asnFile);
  }
});

Deno.test("--geoip with a file that is not a database fails to start in one line naming it", async () => {
  const bad = await Deno.makeTempFile({ suffix: ".mmdb" });
  await Deno.writeTextFile(bad, "not a MaxMind database\n");
  try {
    const result = await launchServe({ file: FILE, extra: ["--geoip", bad] });
    if (result.serving) {
      await result.server.stop();
      assert.fail("serve started with a bad --geoip file");
    }
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], new RegExp(bad.replaceAll("/", "\\/")));
  } finally {
    await Deno.remove(bad);
  }
});

/** The country_code mmdblookup (libmaxminddb's reader, mmdb-bin) reads for `address`, or null. */
async function mmdblookupCountry(file: string, address: string): Promise<string | null> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("mmdblookup", {
      args: ["-f", file, "-i", address, "country_code"],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new Error(`mmdblookup is needed as the oracle here: apt-get install mmdb-bin (${error})`);
  }
  const text = new TextDecoder().decode(out.stdout);
  return /"([A-Z]{2})"/.exec(text)?.[1] ?? null;
}

/** Names, places and servers in 30 countries' worth of sites, over IPv4 and IPv6. */
const SITES = corpusPath("real/ndpi_sites.pcapng");

Deno.test("without --geoip the built-in DB-IP database places public talkers (as mmdblookup reads it) and the page credits DB-IP; --no-geoip places none", async () => {
  const server = await startServer(SITES);
  let publicTalkers: Talker[];
  try {
    const talkers = (await (await fetch(`${server.base}/api/v1/talkers?window=60m&limit=1000`))
      .json()).talkers as Talker[];
    publicTalkers = talkers.filter((t) => isPublicText(t.address));
    let placed = 0;
    for (const t of talkers) {
      const want = isPublicText(t.address)
        ? await mmdblookupCountry(bundledGeoipPath(), t.address)
        : null;
      assert.equal(t.country, want, t.address);
      if (want) placed++;
    }
    assert.ok(placed >= 10, `${placed} of ${talkers.length} talkers placed`);
    assert.ok(
      talkers.some((t) => t.address.includes(":") && t.country !== null),
      "an IPv6 talker is placed too",
    );
    const page = await (await fetch(`${server.base}/`)).text();
    assert.match(page, /Countries: <a href="https:\/\/db-ip\.com">IP Geolocation by DB-IP<\/a>/);
  } finally {
    assert.equal(await server.stop(), 0);
  }
  const off = await startServer(SITES, ["--no-geoip"]);
  try {
    const talkers = (await (await fetch(`${off.base}/api/v1/talkers?window=60m&limit=1000`))
      .json()).talkers as Talker[];
    assert.ok(talkers.length >= publicTalkers.length, `${talkers.length} talkers`);
    assert.deepEqual(talkers.filter((t) => t.country !== null), [], "no places with --no-geoip");
    const page = await (await fetch(`${off.base}/`)).text();
    assert.doesNotMatch(page, /db-ip\.com/);
  } finally {
    assert.equal(await off.stop(), 0);
  }
});

/** isPublic() of an address written as text. */
function isPublicText(address: string): boolean {
  const parsed = addressWordsOf(address);
  assert.ok(parsed, `talker address "${address}"`);
  return isPublic(parsed.words, 0, parsed.v6);
}
