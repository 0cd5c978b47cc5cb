// What each connection state code means, for the flow table's tooltips and legend.
//
// The codes are Zeek's conn_state, derived in flows/tcp_state.ts (whose header explains them;
// conn_states_test.ts keeps this table in step with it). Non-TCP flows use Zeek's UDP rule.

/** One line per state: orig = the client, resp = the server. */
export const STATE_MEANINGS: Readonly<Record<string, string>> = Object.freeze({
  S0: "Attempt, no reply: the client sent a SYN (or, not TCP, only the client sent)",
  S1: "Established, still open: handshake seen, no FIN or RST yet",
  SF: "Normal: both sides closed with FIN (not TCP: both sides sent)",
  REJ: "Rejected: the server answered the SYN with a RST",
  S2: "Established, the client closed (FIN), the server did not",
  S3: "Established, the server closed (FIN), the client did not",
  RSTO: "Aborted by the client (RST) after the server took part",
  RSTR: "Aborted by the server (RST)",
  RSTOS0: "The client sent a SYN then a RST, no answer from the server",
  RSTRH: "Half-open: the server sent SYN-ACK then RST, no SYN from the client seen",
  SH: "Half-open: the client sent a SYN then a FIN, no SYN-ACK seen",
  SHR: "Half-open: the server sent SYN-ACK then FIN, no SYN seen (not TCP: only the server sent)",
  OTH: "Other: no handshake seen (traffic mid-connection, e.g. begun before the capture)",
});

/** The meaning of `state`, or a note that it is unknown. */
export function stateMeaning(state: string): string {
  return STATE_MEANINGS[state] ?? `State ${state}`;
}
