// The history thread: owns the database, writes in batches, answers queries, never throws out.
//
// Writes arrive on the worker itself and on attached ports (the engine's worker has one). They
// go into one open transaction that is committed every commitIntervalMs or commitRows rows,
// whichever comes first; a kill -9 loses at most that much. After each commit every sender gets
// an "ack" with the items committed, which is what keeps the senders' queues bounded. An SQLite
// error other than a bad query parameter ends history for this run (one line in the status),
// except a damaged file, which is moved aside for a fresh one.

/// <reference lib="deno.worker" />

import { HistoryStore } from "./history_store.ts";
import { classify, failureLine, moveAside } from "./open_database.ts";
import type {
  FromHistory,
  HistoryStatus,
  ToHistory,
  WorkerOptions,
  WriteMessage,
} from "./types.ts";
import { itemsOf } from "./types.ts";

/** Who sent writes: the worker's own channel or an attached port. */
type Sender = "self" | MessagePort;

let options: WorkerOptions | undefined;
let store: HistoryStore | null = null;
let state: HistoryStatus["state"] = "starting";
let error: string | null = null;
let movedAside: string | null = null;
/** Items lost because the store failed or a commit did. */
let writeErrors = 0;
/** Items written but not committed, per sender. */
const pending = new Map<Sender, number>();
let pendingItems = 0;
let timer: ReturnType<typeof setTimeout> | undefined;

function post(message: FromHistory, to: Sender = "self"): void {
  if (to === "self") self.postMessage(message);
  else to.postMessage(message);
}

function status(): HistoryStatus {
  const base = {
    state,
    error,
    dropped: { queue: 0, write_errors: writeErrors },
  };
  if (store) return { ...store.status(), ...base, moved_aside: movedAside };
  return {
    ...base,
    path: options?.path ?? "",
    moved_aside: movedAside,
    file_bytes: 0,
    cap_bytes: options?.capBytes ?? 0,
    oldest: { flows: null, "1m": null, "5m": null, "1h": null },
    written: { minutes: 0, host_rows: 0, flows: 0, names: 0 },
    retention_runs: 0,
    max_flow_id: 0,
  };
}

function open(given: WorkerOptions): void {
  options = given;
  const opened = HistoryStore.open(given);
  if (opened.error !== undefined) {
    state = "failed";
    error = opened.error;
  } else {
    store = opened.store;
    state = "ok";
    movedAside = store.movedAside;
  }
  post({ type: "opened", status: status() });
  timer = setInterval(commit, given.commitIntervalMs ?? 1000);
}

/** Acknowledges every pending item to its sender. */
function ackAll(): void {
  for (const [sender, items] of pending) post({ type: "ack", items }, sender);
  pending.clear();
  pendingItems = 0;
}

/** The store failed with `cause`: move a damaged file aside and go on, or go memory-only. */
function fail(cause: unknown): void {
  const path = options!.path;
  writeErrors += pendingItems;
  try {
    store?.db.close();
  } catch {
    // already unusable
  }
  store = null;
  if (classify(cause) === "corrupt") {
    try {
      movedAside = moveAside(path);
      const reopened = HistoryStore.open(options!);
      if (reopened.store) {
        store = reopened.store;
        post({ type: "state", status: status() });
        return;
      }
      error = reopened.error;
    } catch (again) {
      error = failureLine(path, again);
    }
  } else {
    error = failureLine(path, cause);
  }
  state = "failed";
  post({ type: "state", status: status() });
}

function commit(): void {
  const wrote = pendingItems > 0;
  if (store) {
    try {
      store.commit();
    } catch (cause) {
      fail(cause);
    }
  }
  // What was just committed shows in /stats at once, not at the next status the server asks
  // for (it answers the last one it has, so a sparse poller saw each minute a poll late).
  // Before the acks: a writer that waited for its items finds the status already counting them.
  if (wrote && store) post({ type: "state", status: status() });
  ackAll();
}

function write(sender: Sender, message: WriteMessage): void {
  const items = itemsOf(message);
  pending.set(sender, (pending.get(sender) ?? 0) + items);
  pendingItems += items;
  if (!store) {
    writeErrors += items;
    ackAll();
    return;
  }
  try {
    if (message.type === "minute") store.addMinute(message.totals, message.hosts);
    else if (message.type === "flows") store.addFlows(message.flows);
    else store.addNames(message.names);
  } catch (cause) {
    fail(cause);
    ackAll();
    return;
  }
  if (pendingItems >= (options?.commitRows ?? 5000)) commit();
}

function query(id: number, q: Extract<ToHistory, { type: "query" }>["query"]): void {
  if (!store) return post({ type: "result", id, result: null });
  try {
    post({ type: "result", id, result: store.query(q) });
  } catch (cause) {
    if ((cause as { code?: string }).code !== "ERR_SQLITE_ERROR") {
      const name = cause instanceof Error ? cause.name : "Error";
      const message = cause instanceof Error ? cause.message : String(cause);
      return post({ type: "query_error", id, name, message });
    }
    fail(cause);
    post({ type: "result", id, result: null });
  }
}

function close(id: number): void {
  clearInterval(timer);
  if (store) {
    try {
      store.close();
    } catch (cause) {
      writeErrors += pendingItems;
      error = failureLine(options!.path, cause);
    }
    store = null;
  }
  ackAll();
  state = "closed";
  post({ type: "done", id });
  self.close();
}

function handle(sender: Sender, message: ToHistory): void {
  switch (message.type) {
    case "open":
      return open(message.options);
    case "minute":
    case "flows":
    case "names":
      return write(sender, message);
    case "attach": {
      const port = message.port;
      port.onmessage = (event: MessageEvent<ToHistory>) => {
        const data = event.data;
        // Only writes come in on a port; anything else is ignored.
        if (data.type === "minute" || data.type === "flows" || data.type === "names") {
          write(port, data);
        }
      };
      return;
    }
    case "query":
      return query(message.id, message.query);
    case "status":
      return post({ type: "status", id: message.id, status: status() });
    case "flush":
      commit();
      return post({ type: "done", id: message.id });
    case "close":
      return close(message.id);
  }
}

self.onmessage = (event: MessageEvent<ToHistory>) => handle("self", event.data);
