// While the live stream is down, a live panel's figures are the last ones the page had, or none:
// the panel says so (and greys what it keeps) rather than "no traffic", which would read as fact.

import { formatClock } from "../client/format.ts";
import { connection } from "../client/store.ts";

/** Whether live figures are stale: the stream is down and retrying (the header says why). */
export function streamDown(): boolean {
  return connection.value.status === "retrying";
}

/** The note a live panel shows while the stream is down; `empty`: it has no figures to keep. */
export function StaleNote({ empty }: { empty: boolean }) {
  const last = connection.value.lastLive;
  const at = last === null ? "" : ` at ${formatClock(last / 1000)}`;
  return (
    <p class="stale-note" data-testid="stale-note">
      {empty
        ? `Waiting for the server: no figures since the connection was lost${at}.`
        : `Last figures before the connection was lost${at}, greyed until the server is back.`}
    </p>
  );
}
