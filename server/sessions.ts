// Login sessions: the dashboard's cookie holds a random session id, never the token.
//
// A stolen cookie then ends with its session (logout, expiry, a restart, or a new token), and
// the token itself never sits in a browser's cookie jar. Ids are 32 random bytes; the table
// keys them by SHA-256, so a lookup's timing depends on a hash, not on the secret. The table is
// bounded: past MAX_SESSIONS the oldest session is dropped.

import { createHash, randomBytes } from "node:crypto";

/** Name of the session cookie. */
export const SESSION_COOKIE = "netwatch_session";
/** How long a session lasts, and when it is re-issued (rotated) on use. */
export const SESSION_TTL_MS = 24 * 3600 * 1000;
const ROTATE_AFTER_MS = SESSION_TTL_MS / 2;
/** A rotated-out id stays valid this long, for requests already in flight with it. */
const ROTATION_GRACE_MS = 60_000;
const MAX_SESSIONS = 1024;

interface Session {
  expires: number;
  issued: number;
  /** SHA-256 of the token the session was opened with: a new token ends old sessions. */
  tokenTag: string;
}

/** The answer to a presented session id. */
export type SessionCheck =
  | { valid: false }
  | { valid: true; rotated?: string };

/** Open sessions of one server process. */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
  }

  /** Opens a session for a login with `token`; returns the id for the cookie. */
  open(token: string): string {
    const id = randomBytes(32).toString("base64url");
    const now = this.#clock();
    this.#sessions.set(digest(id), {
      issued: now,
      expires: now + SESSION_TTL_MS,
      tokenTag: digest(token),
    });
    this.#trim(now);
    return id;
  }

  /**
   * Checks a presented id against the current `token`. A session past half its life is
   * rotated: `rotated` is the new id to set, and the old one lapses after a short grace.
   */
  check(id: string | undefined, token: string): SessionCheck {
    if (!id) return { valid: false };
    const key = digest(id);
    const session = this.#sessions.get(key);
    const now = this.#clock();
    if (!session || session.expires <= now || session.tokenTag !== digest(token)) {
      if (session) this.#sessions.delete(key);
      return { valid: false };
    }
    if (now - session.issued < ROTATE_AFTER_MS) return { valid: true };
    session.issued = Infinity; // rotate once
    session.expires = Math.min(session.expires, now + ROTATION_GRACE_MS);
    return { valid: true, rotated: this.open(token) };
  }

  /** Ends the session `id` (logout). */
  close(id: string | undefined): void {
    if (id) this.#sessions.delete(digest(id));
  }

  get size(): number {
    return this.#sessions.size;
  }

  #trim(now: number): void {
    for (const [key, session] of this.#sessions) {
      if (this.#sessions.size <= MAX_SESSIONS && session.expires > now) break;
      this.#sessions.delete(key); // insertion order: the oldest first
    }
  }
}

/** The Set-Cookie value carrying `id` (HttpOnly, SameSite=Strict, Secure behind TLS). */
export function sessionCookie(id: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; ` +
    `Max-Age=${SESSION_TTL_MS / 1000}${secure ? "; Secure" : ""}`;
}

/** The Set-Cookie value that clears the session cookie. */
export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` +
    (secure ? "; Secure" : "");
}

/** The session id a request's Cookie header carries, if any. */
export function presentedSession(headers: Headers): string | undefined {
  const cookie = headers.get("cookie");
  if (!cookie) return undefined;
  for (const part of cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}
