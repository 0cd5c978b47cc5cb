// Builds the client bundle with esbuild: the islands in one hashed ES module, the stylesheet
// beside it, gzipped copies, and a manifest naming them. `deno task build:ui` runs this.

import * as esbuild from "esbuild";
import { MANIFEST_FILE, type UiManifest } from "./asset_manifest.ts";

const UI = new URL("./", import.meta.url);

/** Where `deno task build:ui` writes: ui/dist/ (what `deno compile` must --include). */
export const DEFAULT_OUT_DIR = new URL("dist/", UI).pathname;

/** Sizes of what was built. */
export interface BuildResult {
  manifest: UiManifest;
  outDir: string;
  /** Bytes of the script and stylesheet, raw and gzipped. */
  sizes: { script: number; scriptGzip: number; stylesheet: number; stylesheetGzip: number };
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Bundles ui/client/entry.ts and ui/styles.css into `outDir` (replacing what was there) as
 * `app-<hash>.js` and `styles-<hash>.css`, each with a `.gz` twin, plus manifest.json. No source
 * maps: the binary embeds this directory and stays small.
 */
export async function buildUiAssets(outDir: string = DEFAULT_OUT_DIR): Promise<BuildResult> {
  const root = new URL("../", UI).pathname;
  let result;
  try {
    result = await esbuild.build({
      entryPoints: {
        app: new URL("client/entry.ts", UI).pathname,
        styles: new URL("styles.css", UI).pathname,
      },
      absWorkingDir: root,
      bundle: true,
      format: "esm",
      target: ["es2022", "chrome110", "firefox110", "safari16"],
      minify: true,
      entryNames: "[name]-[hash]",
      jsx: "automatic",
      jsxImportSource: "preact",
      legalComments: "none",
      metafile: true,
      write: false,
      outdir: outDir,
      logLevel: "silent",
    });
  } finally {
    await esbuild.stop();
  }
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(outDir, { recursive: true });
  let script = "";
  let stylesheet = "";
  const files: string[] = [];
  const sizes = { script: 0, scriptGzip: 0, stylesheet: 0, stylesheetGzip: 0 };
  for (const file of result.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf("/") + 1);
    await Deno.writeFile(`${outDir}/${name}`, file.contents);
    files.push(name);
    const packed = await gzip(file.contents);
    await Deno.writeFile(`${outDir}/${name}.gz`, packed);
    if (name.endsWith(".js")) {
      script = name;
      sizes.script = file.contents.length;
      sizes.scriptGzip = packed.length;
    } else if (name.endsWith(".css")) {
      stylesheet = name;
      sizes.stylesheet = file.contents.length;
      sizes.stylesheetGzip = packed.length;
    }
  }
  if (!script || !stylesheet) throw new Error("esbuild produced no script or no stylesheet");
  const manifest: UiManifest = { script, stylesheet, files: files.sort() };
  await Deno.writeTextFile(`${outDir}/${MANIFEST_FILE}`, JSON.stringify(manifest, null, 2) + "\n");
  return { manifest, outDir, sizes };
}

if (import.meta.main) {
  const out = Deno.args[0] ?? DEFAULT_OUT_DIR;
  const { manifest, sizes } = await buildUiAssets(out);
  const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`;
  console.log(
    `ui: ${out}${manifest.script} ${kb(sizes.script)} (gzip ${kb(sizes.scriptGzip)}), ` +
      `${manifest.stylesheet} ${kb(sizes.stylesheet)} (gzip ${kb(sizes.stylesheetGzip)})`,
  );
}
