// Places end to end: `serve --geoip` with two MaxMind-format files (a country file and an ASN
// file, as GeoLite2 ships them) replays a real capture; talkers and host details must carry what
// the files say of each public address, nothing for private ones, and a file that is not a
// database must stop the start with one line naming it.

import assert from "node:assert/strict";
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

function v4Words(address: string): number[] {
  return [address.split(".").reduce((a, p) => a * 256 + Number(p), 0)];
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
  const pub = all.filter((a) => isPublic(v4Words(a), 0, false)).sort();
  const priv = all.filter((a) => !isPublic(v4Words(a), 0, false));
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
        assert.deepEqual(
          { country: t.country, asn: t.asn },
          { country: null, asn: null },
          t.address,
        );
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
