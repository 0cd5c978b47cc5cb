// The state legend explains exactly the states the flow engine reports.

import assert from "node:assert/strict";
import { CONN_STATE_NAMES } from "../../flows/tcp_state.ts";
import { STATE_MEANINGS, stateMeaning } from "./conn_states.ts";
import { STATES } from "./view_state.ts";

Deno.test("STATE_MEANINGS has one meaning for each state of flows/tcp_state.ts", () => {
  const engine = CONN_STATE_NAMES.filter((s) => s !== "");
  assert.deepEqual(Object.keys(STATE_MEANINGS).sort(), [...engine].sort());
  assert.deepEqual([...STATES].sort(), [...engine].sort(), "the state filter offers them all");
  assert.match(stateMeaning("REJ"), /reset/);
  assert.equal(stateMeaning("XYZ"), "State XYZ");
});
