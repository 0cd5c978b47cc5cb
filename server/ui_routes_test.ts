// The dashboard routes over a real build: the page links hashed assets, caching and gzip.

import assert from "node:assert/strict";
import { OpenAPIHono } from "@hono/zod-openapi";
import { buildUiAssets } from "../ui/build_assets.ts";
import { mountUi } from "./ui_routes.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("mountUi() serves the rendered page and its hashed, cacheable assets", opts, async () => {
  const dir = await Deno.makeTempDir({ prefix: "netwatch-ui-" });
  try {
    const { manifest } = await buildUiAssets(dir);
    const app = new OpenAPIHono();
    mountUi(app, { version: "9.9.9", assetsDir: dir });

    const page = await app.request("/?q=10.0.0.1&sort=rate");
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("cache-control"), "no-cache");
    assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    // The page's own forms (logout, login without script) must carry its origin.
    assert.equal(page.headers.get("referrer-policy"), "same-origin");
    const html = await page.text();
    assert.ok(html.startsWith("<!doctype html>"));
    assert.ok(html.includes(`src="/assets/${manifest.script}"`), "script linked by hashed name");
    assert.ok(html.includes(`href="/assets/${manifest.stylesheet}"`));
    for (
      const island of ["StatusBar", "Throughput", "TopTalkers", "Mix", "FlowTable", "HostView"]
    ) {
      assert.ok(html.includes(`data-island="${island}"`), island);
    }
    assert.ok(!/https?:\/\/(?!www\.w3\.org)/.test(html), "no external URL in the page");

    const script = await app.request(`/assets/${manifest.script}`);
    assert.equal(script.status, 200);
    assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(script.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(script.headers.get("content-encoding"), null);
    const raw = new Uint8Array(await script.arrayBuffer());
    assert.deepEqual(raw, await Deno.readFile(`${dir}/${manifest.script}`));

    const zipped = await app.request(`/assets/${manifest.stylesheet}`, {
      headers: { "accept-encoding": "gzip, br" },
    });
    assert.equal(zipped.headers.get("content-encoding"), "gzip");
    assert.equal(zipped.headers.get("vary"), "Accept-Encoding");
    const css = await new Response(
      zipped.body!.pipeThrough(new DecompressionStream("gzip")),
    ).text();
    assert.equal(css, await Deno.readTextFile(`${dir}/${manifest.stylesheet}`));

    for (const path of ["/assets/nope.js", "/assets/..%2Fmanifest.json", "/assets/manifest.json"]) {
      const missing = await app.request(path);
      assert.equal(missing.status, 404, path);
      assert.equal((await missing.json()).error.code, "not_found");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "mountUi() explains how to build when the assets are missing, then finds them",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "netwatch-ui-" });
    try {
      const app = new OpenAPIHono();
      mountUi(app, { version: "9.9.9", assetsDir: `${dir}/dist` });
      const before = await app.request("/");
      assert.equal(before.status, 200);
      assert.match(await before.text(), /deno task build:ui/);
      await buildUiAssets(`${dir}/dist`);
      const after = await app.request("/");
      assert.match(await after.text(), /data-island="Throughput"/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("mountUi() lists its routes in the app's OpenAPI document", () => {
  const app = new OpenAPIHono();
  mountUi(app, { version: "9.9.9", assetsDir: "/nonexistent" });
  const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
  assert.deepEqual(Object.keys(doc.paths ?? {}).sort(), ["/", "/assets/{name}"]);
});
