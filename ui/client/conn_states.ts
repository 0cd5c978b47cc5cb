// What each connection state code means, for the flow table's tooltips and legend: the API's
// own meanings (server/vocabulary.ts, Zeek's conn_state as flows/tcp_state.ts derives it).

import { CONN_STATES } from "../../server/vocabulary.ts";

/** One line per state. */
export const STATE_MEANINGS: Readonly<Record<string, string>> = CONN_STATES;

/** The meaning of `state`, or a note that it is unknown. */
export function stateMeaning(state: string): string {
  return STATE_MEANINGS[state] ?? `State ${state}`;
}
