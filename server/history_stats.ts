// /stats' and /metrics' view of the history store: its state, size on disk and what it lost.

import type { HistoryClient } from "../history/history_client.ts";
import { HISTORY_OFF } from "./views.ts";
import type { HistoryStats } from "./wire.ts";

/** Status is asked of the store's worker at most this often (it reads the file's size). */
const REFRESH_MS = 2_000;

/**
 * Reads the store's status for the API. The latest status the worker sent is answered at once;
 * a fresh one (file size, oldest rows) is asked for in the background when it is older than
 * REFRESH_MS, so /stats never waits on a write in progress.
 */
export class HistoryStatsReader {
  readonly #client: HistoryClient | undefined;
  readonly #engineDropped: () => number;
  #askedAt = 0;

  /**
   * `engineDropped`: writes dropped by the queues on the capture workers' side (the engines
   * write history through their own ports), added to the store's own queue drops.
   */
  constructor(client: HistoryClient | undefined, engineDropped: () => number = () => 0) {
    this.#client = client;
    this.#engineDropped = engineDropped;
  }

  read(): HistoryStats {
    const client = this.#client;
    if (!client) return HISTORY_OFF;
    const now = Date.now();
    if (client.status().state === "ok" && now - this.#askedAt >= REFRESH_MS) {
      this.#askedAt = now;
      client.refreshStatus().catch(() => {});
    }
    // The store's own status less what only the process needs (its flow ids, a file moved
    // aside at open, said on stderr then), with the engines' queue drops added.
    const { moved_aside: _aside, max_flow_id: _ids, dropped, ...rest } = client.status();
    return {
      ...rest,
      dropped: { ...dropped, queue: dropped.queue + this.#engineDropped() },
    };
  }
}
