// The dashboard's routes: GET / (the server-rendered page) and GET /assets/* (hashed files).
//
// Assets come from a directory built by `deno task build:ui` (ui/dist/ by default, which a
// `deno compile --include ui/dist` binary embeds at the same path). They are read once and kept
// in memory; names carry a content hash, so they are cached for a year. The page is no-cache.
// Neither needs the token: the page asks for it when the API answers 401.

import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { readManifest, type UiManifest } from "../ui/asset_manifest.ts";
import { renderPage } from "../ui/render_page.ts";
import type { Credit } from "../ui/components/Page.tsx";
import { quote } from "./errors.ts";

/** Where the assets are by default: ui/dist/ beside this server/ directory. */
export const DEFAULT_ASSETS_DIR = new URL("../ui/dist/", import.meta.url).pathname;

/** Options of mountUi. */
export interface UiRoutesOptions {
  version: string;
  /** The server requires a token: the page offers a logout button. */
  auth?: boolean;
  /** Directory of manifest.json and the hashed files (default DEFAULT_ASSETS_DIR). */
  assetsDir?: string;
  /** Attributions for the footer (data sources whose licences ask for one). */
  credits?: readonly Credit[];
}

const CONTENT_TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  map: "application/json; charset=utf-8",
};

/** Content-Security-Policy of the page: everything from this origin, nothing from elsewhere. */
const PAGE_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; " +
  "form-action 'self'";

/** GET /, as the OpenAPI document lists it. */
export const dashboardRoute = createRoute({
  method: "get",
  path: "/",
  summary: "The dashboard (server-rendered; its query string holds the view: filters, sort, page)",
  responses: {
    200: {
      content: { "text/html": { schema: z.string() } },
      description: "The page (or, when the assets are not built, a page saying how to build them)",
    },
  },
});

/** GET /assets/{name}, as the OpenAPI document lists it. */
export const assetRoute = createRoute({
  method: "get",
  path: "/assets/{name}",
  summary: "A hashed dashboard asset (script or stylesheet), cached for a year",
  request: { params: z.object({ name: z.string() }) },
  responses: {
    200: { description: "The file, gzipped when the client accepts it" },
    404: { description: "No such asset" },
  },
});

interface Loaded {
  manifest: UiManifest;
  page: string;
  files: Map<string, { raw: Uint8Array; gzip: Uint8Array | null }>;
}

/** Mounts GET / and GET /assets/:name on `app` and lists them in its OpenAPI document. */
// deno-lint-ignore no-explicit-any
export function mountUi(app: OpenAPIHono<any, any, any>, options: UiRoutesOptions): void {
  app.openAPIRegistry.registerPath(dashboardRoute);
  app.openAPIRegistry.registerPath(assetRoute);
  const dir = (options.assetsDir ?? DEFAULT_ASSETS_DIR).replace(/\/$/, "");
  let loading: Promise<Loaded> | undefined;

  /** Reads the build once; a failed read is retried on the next request (build it meanwhile). */
  function load(): Promise<Loaded> {
    loading ??= (async () => {
      const manifest = await readManifest(dir);
      const files = new Map<string, { raw: Uint8Array; gzip: Uint8Array | null }>();
      for (const name of manifest.files) {
        const raw = await Deno.readFile(`${dir}/${name}`);
        const gzip = await Deno.readFile(`${dir}/${name}.gz`).catch(() => null);
        files.set(name, { raw, gzip });
      }
      return {
        manifest,
        files,
        page: renderPage({
          version: options.version,
          manifest,
          auth: options.auth,
          credits: options.credits,
        }),
      };
    })();
    loading.catch(() => (loading = undefined));
    return loading;
  }

  app.get("/", async function dashboardPage(c: Context) {
    let loaded: Loaded;
    try {
      loaded = await load();
    } catch (error) {
      // 200: the server works and the page says what is missing (the API is unaffected).
      return c.html(notBuiltPage((error as Error).message), 200, { "Cache-Control": "no-store" });
    }
    return c.html(loaded.page, 200, {
      "Cache-Control": "no-cache",
      "Content-Security-Policy": PAGE_POLICY,
      "X-Content-Type-Options": "nosniff",
      // Not "no-referrer": with it, browsers send `Origin: null` on the page's own form posts
      // (login without JavaScript, logout), which the Origin check must refuse.
      "Referrer-Policy": "same-origin",
    });
  });

  app.get("/assets/:name", async function dashboardAsset(c: Context) {
    const name = c.req.param("name") ?? "";
    const loaded = await load().catch(() => undefined);
    const file = loaded?.files.get(name);
    if (!file) {
      // Quoted and cut short: the name is whatever the client sent (up to 8 KB of URL).
      return c.json(
        { error: { code: "not_found", message: `No asset named ${quote(name)}` } },
        404,
      );
    }
    const headers: Record<string, string> = {
      "Content-Type": CONTENT_TYPES[name.slice(name.lastIndexOf(".") + 1)] ??
        "application/octet-stream",
      "Cache-Control": "public, max-age=31536000, immutable",
      "X-Content-Type-Options": "nosniff",
      "Vary": "Accept-Encoding",
    };
    if (file.gzip && /\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) {
      headers["Content-Encoding"] = "gzip";
      return c.body(file.gzip as Uint8Array<ArrayBuffer>, 200, headers);
    }
    return c.body(file.raw as Uint8Array<ArrayBuffer>, 200, headers);
  });
}

function notBuiltPage(reason: string): string {
  const text = reason.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Netwatch</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto">
<h1>Netwatch</h1><p>${text}.</p><p>The JSON API is available at <a href="/api/v1/openapi.json">/api/v1</a>.</p>
</body></html>
`;
}
