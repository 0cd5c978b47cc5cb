// Keeps the view in the URL so that Back and Forward undo and redo steps: a change a user would
// call a step (the host view opened or closed, another range or a zoom, a filter applied, another
// page) is a new history entry; a change of presentation (a sort, rows per page, the talkers'
// window) rewrites the current entry, as does every pause in typing after the first in a filter
// box, so a search typed letter by letter is one step, not one per letter.

import { serializeView, type ViewState } from "./view_state.ts";

/** View keys whose change is a step the Back button undoes. */
const STEP_KEYS: readonly (keyof ViewState)[] = [
  "hostview",
  "range",
  "from",
  "to",
  "q",
  "host",
  "port",
  "proto",
  "state",
  "active",
  "app",
  "service",
];

/**
 * Whether going from view `prev` to `next` is a step (push a history entry) or not (replace the
 * current one). Another page is a step, unless a new sort or page size reset it to page 1.
 */
export function historyMode(prev: ViewState, next: ViewState): "push" | "replace" {
  if (STEP_KEYS.some((k) => prev[k] !== next[k])) return "push";
  const paged = prev.page !== next.page && prev.sort === next.sort &&
    prev.order === next.order && prev.limit === next.limit;
  return paged ? "push" : "replace";
}

/** The parts of the browser's history and location a ViewHistory writes to. */
export interface HistoryPort {
  /** The current query string, `?`-prefixed or "". */
  search(): string;
  push(search: string): void;
  replace(search: string): void;
}

/** The browser's own history (only touched when a view is written, never on the server). */
const BROWSER: HistoryPort = {
  search: () => location.search,
  push: (search) => history.pushState(null, "", location.pathname + search),
  replace: (search) => history.replaceState(null, "", location.pathname + search),
};

/** Writes views to the URL as history entries (see the top of this file). */
export class ViewHistory {
  readonly #port: HistoryPort;
  #current: ViewState | null = null;
  /** The text field whose typing the current entry holds, or null. */
  #burst: string | null = null;
  /** The text field the write under way comes from, or null. */
  #typing: string | null = null;

  constructor(port: HistoryPort = BROWSER) {
    this.#port = port;
  }

  /** Says that the next write comes from typing in text field `key` (a pause or a commit). */
  typing(key: string): void {
    this.#typing = key;
  }

  /** Ends typing in a field (Enter, or leaving it): its next change is a new step. */
  committed(): void {
    this.#typing = null;
    this.#burst = null;
  }

  /** Takes `view` as what the URL shows now (the page's start, or Back and Forward). */
  restored(view: ViewState): void {
    this.#current = view;
    this.#burst = null;
    this.#typing = null;
  }

  /** Writes `view` to the URL: a new entry for a step, else over the current one. */
  write(view: ViewState): void {
    const search = serializeView(view);
    const typing = this.#typing;
    this.#typing = null;
    const prev = this.#current;
    this.#current = view;
    if (search === this.#port.search()) return;
    // The first write (a URL the page tidied) and more typing in the same field replace.
    const continued = typing !== null && typing === this.#burst;
    if (prev && !continued && historyMode(prev, view) === "push") this.#port.push(search);
    else this.#port.replace(search);
    this.#burst = typing;
  }
}

/** The page's one ViewHistory. */
export const viewHistory = new ViewHistory();
