// Sizes ("500MB", "2GiB") and ages ("30d", "12h") as users write them on the command line.

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  // SI units, as disks are sold.
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  // Binary units, and the bare letters as systemd and du read them.
  k: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gib: 2 ** 30,
  t: 2 ** 40,
  tib: 2 ** 40,
};

/**
 * Bytes of "500MB", "1.5GB", "2GiB", "300M", "1048576". kB/MB/GB/TB are powers of 1000;
 * KiB/MiB/GiB/TiB and the bare K/M/G/T are powers of 1024. Throws RangeError on anything else.
 */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = SIZE_UNITS[match?.[2].toLowerCase() ?? "?"];
  if (!match || unit === undefined) {
    throw new RangeError(
      `Invalid size "${text}": expected a number with an optional unit, e.g. 500MB, 2GiB`,
    );
  }
  return Math.floor(Number(match[1]) * unit);
}

const AGE_UNITS: Record<string, number> = {
  s: 1,
  m: 60,
  min: 60,
  h: 3600,
  d: 86400,
  w: 7 * 86400,
};

/** Seconds of "30d", "12h", "90m", "2w", "3600s". Throws RangeError on anything else. */
export function parseAge(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(text);
  const unit = AGE_UNITS[match?.[2].toLowerCase() ?? "?"];
  if (!match || unit === undefined) {
    throw new RangeError(
      `Invalid age "${text}": expected a number and a unit (s, m, h, d, w), e.g. 30d`,
    );
  }
  return Math.round(Number(match[1]) * unit);
}

/** "536.9 MB"-style text of a byte count, for messages. */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  let value = bytes;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${i === 0 ? value : value.toFixed(1)} ${units[i]}`;
}
