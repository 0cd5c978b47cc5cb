// FlowTable's cells: dates where a time is not today or the range spans days, whole endpoints
// on hover; a filter the API refused is marked, with no count for the query that failed.

import assert from "node:assert/strict";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import type { FlowRecord } from "../../server/wire.ts";
import { chartMeta, flowPage, serverSecond, view } from "../client/store.ts";
import { DEFAULT_VIEW, withRange } from "../client/view_state.ts";
import FlowTable from "./FlowTable.tsx";
import { sampleFlow } from "../../tests/helpers/sample_flow.ts";

/** Epoch seconds of a local date and time. */
function local(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  return new Date(y, mo - 1, d, h, mi, s).getTime() / 1000;
}

/** The server's last finished second in these tests: 2026-03-14 12:00:00 local. */
const NOW = local(2026, 3, 14, 12, 0, 0);

function flow(change: Partial<FlowRecord>): FlowRecord {
  return sampleFlow({
    src_ip: "192.168.0.17",
    src_port: 49634,
    dst_ip: "192.0.2.80",
    packets_s2c: 10,
    bytes_s2c: 9000,
    first_ts: NOW - 60,
    last_ts: NOW - 1,
    state: "SF",
    rate_now: 0,
    ...change,
  });
}

/** The rendered cells of column `label`, as text. */
function cells(html: string, label: string): string[] {
  const re = new RegExp(`<td class="[^"]*" data-label="${label}"[^>]*>(.*?)</td>`, "g");
  return [...html.matchAll(re)].map((m) => m[1].replace(/<[^>]+>/g, ""));
}

function render(flows: FlowRecord[]): string {
  flowPage.value = { data: { flows, total: flows.length, next_cursor: null }, error: null };
  return renderToString(h(FlowTable, {}));
}

function reset(): void {
  view.value = { ...DEFAULT_VIEW };
  flowPage.value = { data: null, error: null };
  serverSecond.value = 0;
}

Deno.test("FlowTable dates a time seen before today, and every time over a range of days", () => {
  view.value = { ...DEFAULT_VIEW };
  serverSecond.value = NOW;
  const today = flow({ id: 1, first_ts: local(2026, 3, 14, 9, 0, 0), last_ts: NOW - 5 });
  const older = flow({
    id: 2,
    first_ts: local(2026, 3, 12, 23, 10, 0),
    last_ts: local(2026, 3, 13, 7, 8, 9),
  });
  assert.deepEqual(cells(render([today, older]), "Last seen"), ["11:59:55", "03-13 07:08:09"]);
  view.value = withRange({ ...DEFAULT_VIEW }, "7d");
  chartMeta.value = { ...chartMeta.peek(), live: false, from: NOW - 7 * 86400, to: NOW };
  const week = render([today, older]);
  assert.deepEqual(cells(week, "Last seen"), ["03-14 11:59:55", "03-13 07:08:09"]);
  assert.deepEqual(cells(week, "First seen"), ["03-14 09:00:00", "03-12 23:10:00"]);
  assert.match(week, /title="2026-03-12 23:10:00"/);
  reset();
});

Deno.test("FlowTable keeps a long client's whole endpoint in its title", () => {
  const html = render([flow({ src_ip: "2601:647:4b02:1d20:fd05:6f66:ecce:8bc7" })]);
  assert.match(
    html,
    /data-label="Client" title="\[2601:647:4b02:1d20:fd05:6f66:ecce:8bc7\]:49634"/,
  );
  assert.match(cells(html, "Client")[0], /ecce:8bc7\]:49634$/);
  reset();
});

Deno.test("FlowTable marks the filter the API refused and shows no count for it", () => {
  view.value = { ...DEFAULT_VIEW, host: "not-an-ip" };
  flowPage.value = {
    data: null,
    error: 'Invalid host "not-an-ip": expected an IPv4 or IPv6 address or CIDR',
    parameter: "host",
  };
  const html = renderToString(h(FlowTable, {}));
  assert.match(
    html,
    /<input[^>]*name="host"[^>]*aria-invalid="true"[^>]*aria-describedby="flows-error"/,
  );
  assert.match(html, /id="flows-error"[^>]*>Invalid host/);
  assert.doesNotMatch(html, /<input[^>]*name="port"[^>]*aria-invalid/);
  assert.doesNotMatch(html, /0 flows/);
  reset();
  assert.match(render([]), /0 flows/);
  reset();
});
