// Where history lives when --data-dir is not given: systemd's state directory, then the FHS
// place for a system service, then the XDG place for a user.

import { isAbsolute, join } from "node:path";

/** The database file's name inside the data directory. */
export const DATABASE_FILE = "netwatch.db";

/**
 * The default data directory: `$STATE_DIRECTORY` (set by systemd's StateDirectory=; the first
 * of several), `/var/lib/netwatch` for root, `$XDG_STATE_HOME/netwatch`, or
 * `~/.local/state/netwatch`. Undefined when none applies (no HOME for a non-root user).
 */
export function defaultDataDir(env: (name: string) => string | undefined, uid: number | null) {
  const state = env("STATE_DIRECTORY")?.split(":")[0];
  if (state && isAbsolute(state)) return state;
  if (uid === 0) return "/var/lib/netwatch";
  const xdg = env("XDG_STATE_HOME");
  // The XDG spec: a relative path is invalid and must be ignored.
  if (xdg && isAbsolute(xdg)) return join(xdg, "netwatch");
  const home = env("HOME");
  if (home && isAbsolute(home)) return join(home, ".local", "state", "netwatch");
  return undefined;
}
