// Tests of the view state and its URL form.

import assert from "node:assert/strict";
import {
  DEFAULT_VIEW,
  flowQuery,
  parseView,
  serializeView,
  toggleSort,
  type ViewState,
  withFilters,
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
    sort: "rate",
    order: "asc",
    limit: 100,
    page: 3,
    range: 60,
    window: "now",
  };
  const search = serializeView(view);
  assert.equal(
    search,
    "?q=dns&host=10.0.0.0%2F8&proto=udp&port=53&state=SF&active=false&sort=rate&order=asc" +
      "&limit=100&page=3&range=60&window=now",
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
      "&proto=%3Cscript%3E",
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
