// Country and AS number/organisation of public addresses, from MaxMind-format (MMDB) files
// given with --geoip (GeoLite2 Country/City/ASN, DB-IP Lite, IPinfo Lite, ip-location-db),
// read with mmdb-lib and reloaded when a file changes. Nothing is fetched at run time, and
// private or reserved addresses are never looked up.

import { Buffer } from "node:buffer";
import { Reader } from "mmdb-lib";
import { formatIpv4, formatIpv6 } from "../../capture/ip_address.ts";

/** What the databases say of an address; absent fields are unknown. */
export interface Place {
  /** ISO 3166-1 alpha-2 country code ("DE"). */
  country?: string;
  asn?: number;
  asOrg?: string;
  city?: string;
}

/** One database file as loaded. */
export interface GeoDatabase {
  path: string;
  /** The file's own database_type ("GeoLite2-Country", "ipinfo lite", ...). */
  type: string;
  mtimeMs: number;
}

// deno-lint-ignore no-explicit-any
type Row = Record<string, any>;

interface Loaded extends GeoDatabase {
  reader: Reader<Row>;
}

/** Lookups in one or more MMDB files, merged (the first file that knows a field wins). */
export class GeoIp {
  #databases: Loaded[];
  /** The last reload failure (the previous copy of that file stays in use), if any. */
  lastError: string | undefined;
  /** Lookups answered, and those skipped because the address is private or reserved. */
  lookups = 0;
  skipped = 0;

  private constructor(databases: Loaded[]) {
    this.#databases = databases;
  }

  /**
   * Opens every file in `paths`. Throws an Error naming the file and what to do when one cannot
   * be read or is not an MMDB database.
   */
  static open(paths: readonly string[]): GeoIp {
    return new GeoIp(paths.map((path) => load(path)));
  }

  /** The files in use. */
  get databases(): GeoDatabase[] {
    return this.#databases.map(({ path, type, mtimeMs }) => ({ path, type, mtimeMs }));
  }

  /**
   * The place of the address `words[at..]` (one word for IPv4, four for IPv6), or undefined for
   * a private or reserved address or one no database knows.
   */
  lookup(words: ArrayLike<number>, at: number, v6: boolean): Place | undefined {
    if (!isPublic(words, at, v6)) {
      this.skipped++;
      return undefined;
    }
    this.lookups++;
    const text = v6
      ? formatIpv6(words[at], words[at + 1], words[at + 2], words[at + 3])
      : formatIpv4(words[at] >>> 0);
    const place: Place = {};
    for (const db of this.#databases) {
      // mmdb-lib answers an IPv6 address from an IPv4-only tree by its first 32 bits (a wrong
      // country that would hide the right one from a later file): skip such files for IPv6.
      if (v6 && db.reader.metadata.ipVersion === 4) continue;
      let row: Row | null;
      try {
        row = db.reader.get(text);
      } catch {
        row = null; // an address the reader refuses
      }
      if (row) merge(place, row);
    }
    return Object.keys(place).length > 0 ? place : undefined;
  }

  /**
   * Reloads each file whose modification time changed. A file that cannot be read now keeps
   * its previous copy and sets `lastError`. Returns how many files were reloaded.
   */
  refresh(warn?: (line: string) => void): number {
    let reloaded = 0;
    this.#databases = this.#databases.map((db) => {
      try {
        // A file system without modification times (a compiled binary's embedded files)
        // reads as 0 both times: nothing to reload.
        if ((Deno.statSync(db.path).mtime?.getTime() ?? 0) === db.mtimeMs) return db;
        const fresh = load(db.path);
        reloaded++;
        warn?.(`netwatch: GeoIP: reloaded "${db.path}" (${fresh.type})`);
        return fresh;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // Said once per new fault, not every minute while the file stays broken.
        if (message !== this.lastError) {
          warn?.(`netwatch: GeoIP: keeping the copy loaded before: ${message}`);
        }
        this.lastError = message;
        return db;
      }
    });
    return reloaded;
  }

  /**
   * Calls refresh() every `seconds` until the returned function is called; `warn` hears each
   * reload and each new fault (one line each).
   */
  watch(seconds = 60, warn?: (line: string) => void): () => void {
    const timer = setInterval(() => this.refresh(warn), seconds * 1000);
    Deno.unrefTimer(timer);
    return () => clearInterval(timer);
  }
}

function load(path: string): Loaded {
  let bytes: Uint8Array;
  let mtimeMs: number;
  try {
    mtimeMs = Deno.statSync(path).mtime?.getTime() ?? 0;
    bytes = Deno.readFileSync(path);
  } catch (error) {
    throw new Error(
      `Cannot read GeoIP database "${path}": ${error instanceof Error ? error.message : error}`,
    );
  }
  try {
    const reader = new Reader<Row>(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { path, type: reader.metadata.databaseType, mtimeMs, reader };
  } catch (error) {
    throw new Error(
      `"${path}" is not a MaxMind-format (.mmdb) database (${
        error instanceof Error ? error.message : error
      }): ` +
        "give --geoip a GeoLite2, DB-IP Lite or IPinfo Lite .mmdb file",
    );
  }
}

/**
 * Copies what a row knows into `place`, for each layout in use: MaxMind and DB-IP
 * (country.iso_code, autonomous_system_number, ...), IPinfo Lite (country_code, asn "AS15169",
 * as_name), IPinfo's country and ASN files (country, asn, name), ip-location-db (country_code).
 */
function merge(place: Place, row: Row): void {
  const country = row.country?.iso_code ?? row.registered_country?.iso_code ?? row.country_code ??
    (typeof row.country === "string" ? row.country : undefined);
  if (place.country === undefined && typeof country === "string" && /^[A-Za-z]{2}$/.test(country)) {
    place.country = country.toUpperCase();
  }
  let asn = row.autonomous_system_number;
  if (typeof row.asn === "string" && /^AS\d+$/i.test(row.asn)) asn = Number(row.asn.slice(2));
  else if (typeof row.asn === "number") asn = row.asn;
  if (place.asn === undefined && typeof asn === "number" && asn > 0) {
    place.asn = asn;
    const org = row.autonomous_system_organization ?? row.as_name ?? row.name;
    if (typeof org === "string" && org) place.asOrg = org;
  }
  const city = row.city?.names?.en;
  if (place.city === undefined && typeof city === "string") place.city = city;
}

/** False for private, loopback, link-local, multicast, documentation and other reserved ranges. */
export function isPublic(words: ArrayLike<number>, at: number, v6: boolean): boolean {
  if (!v6) return isPublicV4(words[at] >>> 0);
  const w0 = words[at] >>> 0;
  const w1 = words[at + 1] >>> 0;
  const w2 = words[at + 2] >>> 0;
  const w3 = words[at + 3] >>> 0;
  if (w0 === 0 && w1 === 0 && (w2 === 0xffff || w2 === 0)) return w2 === 0xffff && isPublicV4(w3); // mapped, ::, ::1
  if (w0 === 0x0064ff9b && w1 === 0 && w2 === 0) return isPublicV4(w3); // NAT64 64:ff9b::/96
  if ((w0 >>> 25) === (0xfc000000 >>> 25)) return false; // fc00::/7 unique local
  if ((w0 >>> 22) === (0xfe800000 >>> 22)) return false; // fe80::/10 link-local
  if ((w0 >>> 24) === 0xff) return false; // multicast
  if (w0 === 0x20010db8) return false; // documentation
  if (w0 === 0x01000000 && w1 === 0) return false; // 100::/64 discard
  return (w0 >>> 29) === 1; // only 2000::/3 is globally routed
}

function isPublicV4(a: number): boolean {
  const b0 = a >>> 24;
  const b1 = (a >>> 16) & 0xff;
  const b2 = (a >>> 8) & 0xff;
  if (b0 === 0 || b0 === 10 || b0 === 127 || b0 >= 224) return false; // this, private, loopback, multicast/reserved
  if (b0 === 100 && (b1 & 0xc0) === 64) return false; // 100.64/10 carrier-grade NAT
  if (b0 === 169 && b1 === 254) return false; // link-local
  if (b0 === 172 && (b1 & 0xf0) === 16) return false; // 172.16/12
  if (b0 === 192 && b1 === 168) return false;
  if (b0 === 192 && b1 === 0 && (b2 === 0 || b2 === 2)) return false; // IETF, TEST-NET-1
  if (b0 === 198 && (b1 & 0xfe) === 18) return false; // benchmarking 198.18/15
  if (b0 === 198 && b1 === 51 && b2 === 100) return false; // TEST-NET-2
  if (b0 === 203 && b1 === 0 && b2 === 113) return false; // TEST-NET-3
  return true;
}
