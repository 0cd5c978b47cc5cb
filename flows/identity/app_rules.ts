// Maps a server name to an application by the rule table (app_rules_table.ts), and builds the
// nDPI-style label "Master.App" ("TLS.YouTube", "QUIC.Google", "DNS").
//
// Matching walks the name's label boundaries from the left, so the longest suffix is tried
// first, and each try is one Map lookup: the cost grows with the number of labels in the name,
// not with the number of rules.

import { APP_RULES, type AppRule } from "./app_rules_table.ts";

/** App id 0 means "no application known". */
export const NO_APP = 0;

/** A suffix matcher over a rule table. */
export class AppMatcher {
  /** Application names by id; index 0 is "". */
  readonly apps: readonly string[];
  #bySuffix = new Map<string, number>();

  /** Builds the matcher; throws RangeError when a suffix is claimed by two applications. */
  constructor(rules: readonly AppRule[] = APP_RULES) {
    const apps = [""];
    for (const rule of rules) {
      let id = apps.indexOf(rule.app);
      if (id < 0) id = apps.push(rule.app) - 1;
      for (const raw of rule.suffixes) {
        const suffix = raw.toLowerCase().replace(/^\.+/, "");
        const other = this.#bySuffix.get(suffix);
        if (other !== undefined && other !== id) {
          throw new RangeError(
            `App rule suffix "${suffix}" belongs to both ${apps[other]} and ${rule.app}`,
          );
        }
        this.#bySuffix.set(suffix, id);
      }
    }
    this.apps = apps;
  }

  /** The application id of `name` (lower-case, no trailing dot), or NO_APP. */
  match(name: string): number {
    let at = 0;
    // A port ("host:8080") is not part of the name.
    const colon = name.lastIndexOf(":");
    const host = colon > 0 && name.indexOf(":") === colon ? name.slice(0, colon) : name;
    while (at < host.length) {
      const id = this.#bySuffix.get(at === 0 ? host : host.slice(at));
      if (id !== undefined) return id;
      const dot = host.indexOf(".", at);
      if (dot < 0) break;
      at = dot + 1;
    }
    return NO_APP;
  }

  /** The name of application `id` ("" for NO_APP). */
  appName(id: number): string {
    return this.apps[id] ?? "";
  }
}

/** "Master.App" when an application is known, else the master protocol alone. */
export function appLabel(master: string, app: string): string {
  if (!master) return app;
  return app ? `${master}.${app}` : master;
}
