// printReport() writes long text in pieces: it must come out exactly, character for character.

import assert from "node:assert/strict";

const REPORT = new URL("./report.ts", import.meta.url).href;

/** What printReport(text) writes to stdout, from a child process. */
async function printed(text: string): Promise<string> {
  const code = `import { printReport } from "${REPORT}";\n` +
    `printReport(await new Response(Deno.stdin.readable).text());`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test("printReport writes every character once, across pieces and surrogate pairs", async () => {
  const piece = 1 << 20;
  // A rocket (a surrogate pair) straddling the first piece boundary, non-ASCII text around
  // it, and the end of the text exactly on the third boundary.
  const text = "é".repeat(piece - 1) + "🚀" + "x".repeat(piece - 1) + "ü".repeat(piece);
  assert.equal(text.length, 3 * piece);
  assert.equal(await printed(text), `${text}\n`);
  assert.equal(await printed(""), "\n");
  assert.equal(await printed("short 🚀"), "short 🚀\n");
});
