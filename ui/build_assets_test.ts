// The client build: hashed names that change with the content, gzip twins, a manifest.

import assert from "node:assert/strict";
import { readManifest } from "./asset_manifest.ts";
import { buildUiAssets } from "./build_assets.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "buildUiAssets() writes hashed script and stylesheet, gzip twins and a manifest",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "netwatch-ui-" });
    try {
      const { manifest, sizes } = await buildUiAssets(dir);
      assert.match(manifest.script, /^app-[A-Z0-9]{8}\.js$/);
      assert.match(manifest.stylesheet, /^styles-[A-Z0-9]{8}\.css$/);
      assert.deepEqual(await readManifest(dir), manifest);
      const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assert.deepEqual(
        names,
        [
          manifest.script,
          `${manifest.script}.gz`,
          "manifest.json",
          manifest.stylesheet,
          `${manifest.stylesheet}.gz`,
        ].sort(),
      );
      assert.ok(sizes.scriptGzip < sizes.script && sizes.script > 1000);
      const js = await Deno.readTextFile(`${dir}/${manifest.script}`);
      // An import statement left in (minified: `import{a}from"x"`, `import"x"`, `import a from`);
      // the word "from" alone is page text and keys.
      const imports = /\bimport\s*[{*"']|\bimport\s+[\w$]+\s*(,|from\b)/;
      assert.ok(!imports.test(js), "one self-contained module: no imports left");
      // XML namespace names (www.w3.org) are identifiers, not fetched; nothing else may appear.
      assert.ok(!/https?:\/\/(?!www\.w3\.org\/)/.test(js), "no external URL in the bundle");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("readManifest() says how to build when there is no build", async () => {
  await assert.rejects(readManifest("/nonexistent/dist"), /deno task build:ui/);
});
