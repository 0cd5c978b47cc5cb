// A small GeoIP database (MMDB, IPinfo Lite's layout) for the README screenshot: the networks
// the screenshot's captures talk to, with the country and AS their registries list for them.
// Illustration only: a few networks, not a product database (use --geoip with a real one).

import { type MmdbEntry, writeMmdb } from "./mmdb_writer.ts";

/** [network, ISO country, AS number, AS name]. */
const NETWORKS: [string, string, number, string][] = [
  ["17.0.0.0/8", "US", 714, "Apple Inc."],
  ["13.107.0.0/16", "US", 8068, "Microsoft Corporation"],
  ["13.80.0.0/15", "NL", 8075, "Microsoft Corporation"],
  ["52.72.0.0/15", "US", 14618, "Amazon.com, Inc."],
  ["80.158.0.0/17", "DE", 6878, "T-Systems International GmbH"],
  ["91.198.174.0/24", "NL", 14907, "Wikimedia Foundation Inc."],
  ["104.16.0.0/13", "US", 13335, "Cloudflare, Inc."],
  ["143.204.0.0/16", "US", 16509, "Amazon.com, Inc."],
  ["146.70.0.0/16", "IT", 9009, "M247 Europe SRL"],
  ["151.101.0.0/16", "US", 54113, "Fastly, Inc."],
  ["199.232.0.0/16", "US", 54113, "Fastly, Inc."],
  ["2001:67c:4e8::/48", "GB", 62041, "Telegram Messenger Inc"],
  ["2607:f8b0::/32", "US", 15169, "Google LLC"],
  ["2620:1ec::/36", "US", 8075, "Microsoft Corporation"],
  ["2a03:2880::/32", "IE", 32934, "Facebook, Inc."],
];

/** The database's bytes. */
export function screenshotGeoIp(): Uint8Array {
  const entries: MmdbEntry[] = NETWORKS.map(([network, country, asn, name]) => ({
    network,
    data: { country_code: country, asn: `AS${asn}`, as_name: name },
  }));
  return writeMmdb(entries, "ipinfo lite.mmdb");
}
