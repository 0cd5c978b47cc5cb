// Slows token guessing: a token bucket of wrong tokens per client address.
//
// Each address may get a burst of tokens wrong at once, then `rate` more a second; past that, any
// request from it that presents a token is answered 429 with Retry-After before the token is
// even compared, so guessing runs at `rate` tries a second whatever the client sends. It is logged
// once per address per LOG_EVERY_MS. Behind a reverse proxy every client shares the proxy's
// address: an attack then slows everyone's token checks (not requests that carry none). An IPv6
// client is one /64: a host holds one (SLAAC), and its 2^64 addresses must not be 2^64 buckets.
//
// Many addresses would each get a burst, so all wrong tokens also share one bucket, GLOBAL_FACTOR
// times an address's. Once it is empty, an address that has sent a wrong token in the last
// SUSPECT_MS is slowed to what it refills (one guess a second in all at the default rate, shared by
// the addresses that guess); one that has not (the admin) still gets its tries, so guessing from N
// addresses costs N tries, then the shared rate, instead of N bursts and N tries a second.

import { addressWordsOf } from "../flows/address_parse.ts";

/** Wrong tokens an address may send at once, as a multiple of the rate a second (at least 5). */
const BURST_SECONDS = 5;
/** Default rate: wrong tokens a second per address once the burst is spent. */
export const DEFAULT_LOGIN_RATE = 1;
const LOG_EVERY_MS = 60_000;
/** The shared bucket: GLOBAL_FACTOR times an address's burst, refilled at `rate` a second. */
const GLOBAL_FACTOR = 10;
/** How long an address that sent a wrong token counts against the shared bucket. */
const SUSPECT_MS = 10 * 60_000;
/** Addresses remembered at most (a full bucket is forgotten first; it holds nothing). */
const MAX_ADDRESSES = 4096;

/** Wrong tokens still allowed, refilled at the throttle's rate, and when it last logged. */
interface Tokens {
  tokens: number;
  at: number;
  /** Wrong tokens since the last log line. */
  failures: number;
  loggedAt: number;
}

/** One address's tokens. */
interface Bucket extends Tokens {
  /** When it last sent a wrong token. */
  failedAt: number;
}

/** Failed-login buckets of one server. */
export class LoginThrottle {
  readonly #buckets = new Map<string, Bucket>();
  readonly #clock: () => number;
  readonly #log: (line: string) => void;
  /** Wrong tokens a second per address after the burst; 0: no throttle (--login-rate 0). */
  readonly rate: number;
  readonly #burst: number;
  /** Wrong tokens from every address together. */
  readonly #global: Tokens;

  constructor(
    options: { rate?: number; clock?: () => number; log?: (line: string) => void } = {},
  ) {
    this.rate = options.rate ?? DEFAULT_LOGIN_RATE;
    this.#burst = Math.max(5, this.rate * BURST_SECONDS);
    this.#clock = options.clock ?? Date.now;
    this.#log = options.log ?? console.error;
    this.#global = {
      tokens: this.#burst * GLOBAL_FACTOR,
      at: this.#clock(),
      failures: 0,
      loggedAt: -Infinity,
    };
  }

  /** Seconds `address` must wait before its next try, or 0 when it may try now. */
  retryAfter(address: string): number {
    if (this.rate === 0) return 0;
    const bucket = this.#refill(clientOf(address));
    if (!bucket) return 0; // no wrong token from it lately
    if (bucket.tokens < 1) return Math.ceil((1 - bucket.tokens) / this.rate);
    if (this.#clock() - bucket.failedAt >= SUSPECT_MS) return 0;
    const global = this.#refillGlobal();
    return global.tokens >= 1 ? 0 : Math.ceil((1 - global.tokens) / this.rate);
  }

  /** Counts a wrong token from `address`; logs the first of each interval once throttled. */
  failed(peer: string): void {
    if (this.rate === 0) return;
    const address = clientOf(peer);
    const now = this.#clock();
    let bucket = this.#refill(address);
    if (!bucket) {
      if (this.#buckets.size >= MAX_ADDRESSES) this.#forgetOne();
      bucket = { tokens: this.#burst, at: now, failures: 0, loggedAt: -Infinity, failedAt: now };
      this.#buckets.set(address, bucket);
    }
    bucket.failedAt = now;
    this.#spend(
      bucket,
      now,
      (failures) =>
        `netwatch: ${failures} wrong tokens from ${address}; slowing it to ` +
        `${this.rate} a second (said at most once a minute per address)`,
    );
    this.#spend(
      this.#refillGlobal(),
      now,
      (failures) =>
        `netwatch: ${failures} wrong tokens from ${this.#buckets.size} addresses; ` +
        `slowing those that sent one to ${this.rate} a second in all (said at most once a minute)`,
    );
  }

  /** Takes one token from `tokens`; once none is left, logs `line` at most once a minute. */
  #spend(tokens: Tokens, now: number, line: (failures: number) => string): void {
    tokens.tokens = Math.max(0, tokens.tokens - 1);
    tokens.failures++;
    if (tokens.tokens < 1 && now - tokens.loggedAt >= LOG_EVERY_MS) {
      this.#log(line(tokens.failures));
      tokens.loggedAt = now;
      tokens.failures = 0;
    }
  }

  /** Adds to `tokens` what `rate` refilled since it was last topped up, up to `cap`. */
  #topUp<T extends Tokens>(tokens: T, cap: number, now = this.#clock()): T {
    tokens.tokens = Math.min(cap, tokens.tokens + (now - tokens.at) / 1000 * this.rate);
    tokens.at = now;
    return tokens;
  }

  #refillGlobal(): Tokens {
    return this.#topUp(this.#global, this.#burst * GLOBAL_FACTOR);
  }

  #refill(address: string): Bucket | undefined {
    const bucket = this.#buckets.get(address);
    return bucket && this.#topUp(bucket, this.#burst);
  }

  /** Drops the oldest address whose bucket is full again and no longer suspect, else the oldest. */
  #forgetOne(): void {
    const now = this.#clock();
    for (const [address, bucket] of this.#buckets) {
      const full = this.#topUp(bucket, this.#burst, now).tokens >= this.#burst;
      if (full && now - bucket.failedAt >= SUSPECT_MS) {
        this.#buckets.delete(address);
        return;
      }
    }
    const oldest = this.#buckets.keys().next().value;
    if (oldest !== undefined) this.#buckets.delete(oldest);
  }
}

/**
 * The client a bucket is for: an IPv4 address as it is, an IPv6 one as its /64
 * ("2001:db8:1:2::/64"); an IPv4-mapped IPv6 address is the IPv4 one.
 */
export function clientOf(address: string): string {
  const parsed = addressWordsOf(address.replace(/^\[|\]$/g, ""));
  if (!parsed || !parsed.v6) return address;
  const [a, b, c, d] = parsed.words;
  if (a === 0 && b === 0 && c === 0xffff) {
    return [d >>> 24, (d >>> 16) & 255, (d >>> 8) & 255, d & 255].join(".");
  }
  const hextets = [a >>> 16, a & 0xffff, b >>> 16, b & 0xffff].map((h) => h.toString(16));
  return `${hextets.join(":")}::/64`;
}
