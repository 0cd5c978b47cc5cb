// defaultDataDir(): systemd's state directory, then root's, then the user's XDG place.

import assert from "node:assert/strict";
import { defaultDataDir } from "./data_dir.ts";

function env(vars: Record<string, string>) {
  return (name: string) => vars[name];
}

Deno.test("defaultDataDir() prefers systemd's STATE_DIRECTORY (the first of several)", () => {
  const vars = { STATE_DIRECTORY: "/var/lib/netwatch:/var/lib/other", HOME: "/home/a" };
  assert.equal(defaultDataDir(env(vars), 0), "/var/lib/netwatch");
  assert.equal(defaultDataDir(env(vars), 1000), "/var/lib/netwatch");
});

Deno.test("defaultDataDir() uses /var/lib/netwatch for root, XDG places for others", () => {
  const home = { HOME: "/home/a" };
  assert.equal(defaultDataDir(env(home), 0), "/var/lib/netwatch");
  assert.equal(defaultDataDir(env(home), 1000), "/home/a/.local/state/netwatch");
  assert.equal(
    defaultDataDir(env({ ...home, XDG_STATE_HOME: "/x/state" }), 1000),
    "/x/state/netwatch",
  );
  // Relative XDG paths are invalid by the spec and ignored.
  assert.equal(
    defaultDataDir(env({ ...home, XDG_STATE_HOME: "state" }), 1000),
    "/home/a/.local/state/netwatch",
  );
  assert.equal(defaultDataDir(env({}), 1000), undefined);
});
