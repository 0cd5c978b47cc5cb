// Tests of the view state and its URL form.

import assert from "node:assert/strict";
import {
  DEFAULT_VIEW,
  flowQuery,
  isLive,
  parseView,
  serializeView,
  toggleSort,
  toggleTalkerSort,
  type ViewState,
  withFilters,
  withRange,
  withSpan,
} from "./view_state.ts";

Deno.test("parseView() of an empty query string is the default view", () => {
  assert.deepEqual(parseView(""), { ...DEFAULT_VIEW });
  assert.equal(serializeView(parseView("")), "");
});

Deno.test("serializeView() writes only non-default values, and parseView() reads them back", () => {
  const view: ViewState = {
    ...DEFAULT_VIEW,
    q: "dns",
    host: "10.0.0.0/8",
    proto: "udp",
    port: "53",
    state: "SF",
    active: "false",
    app: "TLS.YouTube",
    sort: "rate_now",
    order: "asc",
    limit: 100,
    page: 3,
    range: "6h",
    window: "5m",
    tsort: "sent",
    torder: "asc",
    hostview: "2001:db8::1",
  };
  const search = serializeView(view);
  assert.equal(
    search,
    "?range=6h&window=5m&tsort=sent&torder=asc&app=TLS.YouTube&q=dns&host=10.0.0.0%2F8" +
      "&proto=udp&port=53&state=SF&active=false&sort=rate_now&order=asc&limit=100&page=3" +
      "&hostview=2001%3Adb8%3A%3A1",
  );
  assert.deepEqual(parseView(search), view);
});

Deno.test("parseView() keeps IPv6 addresses and CIDRs intact", () => {
  const view = { ...DEFAULT_VIEW, host: "2001:db8::/32", q: "2601:647::8bc7" };
  assert.deepEqual(parseView(serializeView(view)), view);
});

Deno.test("parseView() replaces nonsense with defaults instead of failing", () => {
  const view = parseView(
    "?sort=evil&order=up&limit=7&page=-2&range=2&window=1h&port=70000&state=XX&active=yes" +
      "&proto=%3Cscript%3E&tsort=x&torder=y&from=5&hostview=%3Cb%3E&service=a%20b",
  );
  assert.deepEqual(view, { ...DEFAULT_VIEW });
});

Deno.test("parseView() refuses pages beyond the API's deepest offset", () => {
  assert.equal(parseView("?page=2001&limit=50").page, 2001);
  assert.equal(parseView("?page=2002&limit=50").page, 1);
});

Deno.test("flowQuery() maps the view to /flows parameters with limit and offset", () => {
  assert.deepEqual(flowQuery({ ...DEFAULT_VIEW }), { sort: "bytes", order: "desc", limit: "50" });
  assert.deepEqual(
    flowQuery({
      ...DEFAULT_VIEW,
      host: "10.1.1.1",
      port: "443",
      active: "true",
      page: 3,
      limit: 25,
    }),
    {
      host: "10.1.1.1",
      port: "443",
      active: "true",
      sort: "bytes",
      order: "desc",
      limit: "25",
      offset: "50",
    },
  );
});

Deno.test("toggleSort() sorts a new column descending and flips the current one", () => {
  const byRate = toggleSort({ ...DEFAULT_VIEW, page: 4 }, "rate");
  assert.equal(byRate.sort, "rate");
  assert.equal(byRate.order, "desc");
  assert.equal(byRate.page, 1);
  assert.equal(toggleSort(byRate, "rate").order, "asc");
  assert.equal(toggleSort(toggleSort(byRate, "rate"), "rate").order, "desc");
});

Deno.test("withFilters() returns to the first page unless a page is given", () => {
  const view = { ...DEFAULT_VIEW, page: 5 };
  assert.equal(withFilters(view, { host: "10.0.0.1" }).page, 1);
  assert.equal(withFilters(view, { page: 6 }).page, 6);
});

Deno.test("a custom range is its from and to in the URL, and needs both in order", () => {
  const view = withSpan({ ...DEFAULT_VIEW }, 1_700_000_100.4, 1_700_000_000.2);
  assert.equal(view.range, "custom");
  assert.deepEqual([view.from, view.to], [1_700_000_000, 1_700_000_101]);
  assert.equal(serializeView(view), "?from=1700000000&to=1700000101");
  assert.deepEqual(parseView("?from=1700000000&to=1700000101"), view);
  assert.equal(parseView("?from=1700000101&to=1700000000").range, DEFAULT_VIEW.range);
  assert.equal(parseView("?range=custom").range, DEFAULT_VIEW.range);
  assert.equal(isLive(view), false);
  assert.deepEqual(withRange(view, "5m"), { ...DEFAULT_VIEW, range: "5m" });
  assert.equal(isLive(withRange(view, "5m")), true);
  assert.equal(isLive(withRange(view, "24h")), false);
});

Deno.test("withSpan() widens a span shorter than 10 s around its middle", () => {
  const view = withSpan({ ...DEFAULT_VIEW }, 1000, 1002);
  assert.deepEqual([view.from, view.to], [996, 1006]);
});

Deno.test("flowQuery() adds the mix filter and a past range's span", () => {
  assert.deepEqual(
    flowQuery({ ...DEFAULT_VIEW, app: "DNS", service: "https" }, { from: 10, to: 20 }),
    {
      app: "DNS",
      service: "https",
      from: "10",
      to: "20",
      sort: "bytes",
      order: "desc",
      limit: "50",
    },
  );
});

Deno.test("toggleTalkerSort() sorts numbers descending and hosts ascending first", () => {
  const bySent = toggleTalkerSort({ ...DEFAULT_VIEW }, "sent");
  assert.deepEqual([bySent.tsort, bySent.torder], ["sent", "desc"]);
  assert.equal(toggleTalkerSort(bySent, "sent").torder, "asc");
  const byHost = toggleTalkerSort(bySent, "host");
  assert.deepEqual([byHost.tsort, byHost.torder], ["host", "asc"]);
});
