// Tests of which view changes become history entries, with a fake history.

import assert from "node:assert/strict";
import { historyMode, type HistoryPort, ViewHistory } from "./view_history.ts";
import {
  DEFAULT_VIEW,
  parseView,
  toggleSort,
  type ViewState,
  withFilters,
  withRange,
  withSpan,
} from "./view_state.ts";

/** A history that records entries as the browser keeps them: a list and a position. */
function fakeHistory(start = ""): HistoryPort & { entries: string[] } {
  const entries = [start];
  return {
    entries,
    search: () => entries.at(-1)!,
    push: (search) => void entries.push(search),
    replace: (search) => void (entries[entries.length - 1] = search),
  };
}

const START: ViewState = { ...DEFAULT_VIEW };

Deno.test("historyMode() pushes steps (host view, range, zoom, filters, pages), replaces the rest", () => {
  assert.equal(historyMode(START, { ...START, hostview: "10.0.0.1" }), "push");
  assert.equal(historyMode({ ...START, hostview: "10.0.0.1" }, START), "push");
  assert.equal(historyMode(START, withRange(START, "24h")), "push");
  assert.equal(historyMode(START, withSpan(START, 1000, 2000)), "push");
  assert.equal(historyMode(START, withFilters(START, { host: "10.0.0.0/8" })), "push");
  assert.equal(historyMode(START, withFilters(START, { app: "TLS.YouTube" })), "push");
  assert.equal(historyMode(START, withFilters(START, { page: 2 })), "push");
  assert.equal(historyMode(START, toggleSort(START, "packets")), "replace");
  // A sort on page 3 goes back to page 1: still a sort, not a page step.
  assert.equal(
    historyMode({ ...START, page: 3 }, toggleSort({ ...START, page: 3 }, "rate")),
    "replace",
  );
  assert.equal(historyMode(START, withFilters(START, { limit: 25 })), "replace");
  assert.equal(historyMode(START, { ...START, window: "5m", tsort: "total" }), "replace");
});

Deno.test("ViewHistory pushes opening and closing the host view and a range, not a sort", () => {
  const h = fakeHistory("?range=15m");
  const views = new ViewHistory(h);
  let v = parseView("?range=15m");
  views.restored(v);
  views.write(v); // the page's start writes nothing new
  assert.deepEqual(h.entries, ["?range=15m"]);
  views.write(v = { ...v, hostview: "10.0.0.1" });
  views.write(v = { ...v, hostview: "" });
  views.write(v = withRange(v, "6h"));
  views.write(v = toggleSort(v, "packets"));
  assert.deepEqual(h.entries, [
    "?range=15m",
    "?range=15m&hostview=10.0.0.1",
    "?range=15m",
    "?range=6h&sort=packets", // the sort rewrote the range's entry
  ]);
});

Deno.test("ViewHistory tidies a hand-written URL in place", () => {
  const h = fakeHistory("?range=nonsense&page=1");
  const views = new ViewHistory(h);
  const v = parseView(h.search());
  views.restored(v);
  views.write(v);
  assert.deepEqual(h.entries, [""]);
});

Deno.test("ViewHistory keeps one burst of typing in a field as one entry", () => {
  const h = fakeHistory();
  const views = new ViewHistory(h);
  let v: ViewState = { ...START };
  views.restored(v);
  // Pauses while typing "10.0.0.1" into the host box, then Enter.
  for (const text of ["1", "10.", "10.0.0", "10.0.0.1"]) {
    views.typing("host");
    views.write(v = withFilters(v, { host: text }));
  }
  views.committed();
  assert.deepEqual(h.entries, ["", "?host=10.0.0.1"]);
  // Typing in the same box again later is a new step; so is typing in another one.
  views.typing("host");
  views.write(v = withFilters(v, { host: "10.0.0.2" }));
  views.typing("q");
  views.write(v = withFilters(v, { q: "dns" }));
  assert.deepEqual(h.entries, ["", "?host=10.0.0.1", "?host=10.0.0.2", "?q=dns&host=10.0.0.2"]);
  // A click between two pauses ends the burst too.
  views.write(v = withRange(v, "24h"));
  views.typing("q");
  views.write(v = withFilters(v, { q: "dnsx" }));
  assert.equal(h.entries.length, 6);
});

Deno.test("ViewHistory writes nothing for the view Back or Forward restored", () => {
  const h = fakeHistory("?hostview=10.0.0.1");
  const views = new ViewHistory(h);
  h.entries[0] = "";
  const v = parseView("");
  views.restored(v);
  views.write(v);
  assert.deepEqual(h.entries, [""]);
});
