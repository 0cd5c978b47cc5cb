// The vendored test data is what its SOURCES.md says: every file listed, sizes and SHA-256 equal.

import assert from "node:assert/strict";
import { corpusPath, ndpiPath } from "./helpers/corpus.ts";

/** One table row of a SOURCES.md: the file it names, its size and its sha256. */
interface SourceRow {
  file: string;
  bytes: number;
  sha256: string;
}

/** The rows of the markdown table whose header has `file`, `bytes` and `sha256` columns. */
function sourceRows(path: string): SourceRow[] {
  const lines = Deno.readTextFileSync(path).split("\n").filter((l) => l.startsWith("|"));
  const cells = (line: string) => line.slice(1, -1).split("|").map((c) => c.trim());
  const header = cells(lines[0] ?? "");
  const [file, bytes, sha] = ["file", "bytes", "sha256"].map((name) => header.indexOf(name));
  assert.ok(file >= 0 && bytes >= 0 && sha >= 0, `${path}: no file/bytes/sha256 table`);
  return lines.slice(2).map((line) => {
    const row = cells(line).map((c) => c.replace(/^`|`$/g, ""));
    return { file: row[file], bytes: Number(row[bytes]), sha256: row[sha] };
  });
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Names of the files in `dir` that are upstream copies (not our own notes or truth). */
function copiedFiles(dir: string, own: string[]): string[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && !own.includes(e.name))
    .map((e) => e.name)
    .sort();
}

/** Checks one SOURCES.md against the files in the folders it covers. */
async function checkSources(
  sources: string,
  folders: { dir: string; prefix: string; own: string[] }[],
): Promise<void> {
  const rows = new Map(sourceRows(sources).map((row) => [row.file, row]));
  const present: string[] = [];
  for (const { dir, prefix, own } of folders) {
    for (const name of copiedFiles(dir, own)) {
      const file = prefix + name;
      present.push(file);
      const row = rows.get(file);
      assert.ok(row, `${sources} has no row for ${file}`);
      const path = `${dir}/${name}`;
      assert.equal((await Deno.stat(path)).size, row.bytes, `${file}: size`);
      assert.equal(await sha256(path), row.sha256, `${file}: sha256`);
    }
  }
  assert.deepEqual([...rows.keys()].sort(), present.sort(), `${sources} lists other files`);
}

const PCAP_NOTES = ["SOURCES.md", "EXPECTED.csv", "EXPECTED_OUTER.csv", "LIST.txt"];

Deno.test("tests/data/pcaps/real is exactly what its SOURCES.md lists", async () => {
  const dir = corpusPath("real");
  await checkSources(`${dir}/SOURCES.md`, [{ dir, prefix: "", own: PCAP_NOTES }]);
});

Deno.test("tests/data/pcaps/malformed is exactly what its SOURCES.md lists", async () => {
  const dir = corpusPath("malformed");
  await checkSources(`${dir}/SOURCES.md`, [{ dir, prefix: "", own: PCAP_NOTES }]);
});

Deno.test("tests/data/ndpi is exactly what its SOURCES.md lists", async () => {
  await checkSources(ndpiPath("SOURCES.md"), [
    { dir: ndpiPath("pcap"), prefix: "pcap/", own: [] },
    { dir: ndpiPath("result"), prefix: "result/", own: [] },
  ]);
  assert.equal(copiedFiles(ndpiPath("pcap"), []).length, 115);
});
