// TCP connection state of a flow, in the spirit of Zeek's conn_state, from a few bits per flow.
//
// A flow keeps the TCP flags each direction sent (OR'd together) and the handshake bits below.
// `connState()` derives the state when asked; nothing is stored per state change. The states
// used (orig = client, resp = server; see flow orientation in flow_table.ts):
//
//   S0      orig sent a SYN, resp sent nothing                           (attempt, no reply)
//   S1      SYN, SYN-ACK and an ACK from orig seen, no FIN or RST         (established, open)
//   SF      both sides sent a FIN, no RST                                 (normal close)
//   REJ     orig sent a SYN, resp answered with RST and never a SYN-ACK   (rejected)
//   S2      established, orig sent a FIN, resp did not                    (close by orig only)
//   S3      established, resp sent a FIN, orig did not                    (close by resp only)
//   RSTO    orig sent a RST after the resp took part                      (orig aborted)
//   RSTR    resp sent a RST                                               (resp aborted)
//   RSTOS0  orig sent a SYN then a RST, no SYN-ACK from resp               (orig gave up)
//   RSTRH   resp sent a SYN-ACK then a RST, no SYN from orig seen          (half-open, resp reset)
//   SH      orig sent a SYN then a FIN, no SYN-ACK from resp               (half-open, orig closed)
//   SHR     resp sent a SYN-ACK then a FIN, no SYN from orig seen          (half-open, resp closed)
//   OTH     anything else, e.g. mid-stream traffic with no handshake seen
//
// "Took part" for resp means it sent a SYN-ACK; a mid-stream flow (no SYN, no SYN-ACK) counts as
// inactive on both sides as Zeek's PARTIAL endpoints do, so a RST there gives OTH or RSTRH/RSTR.
// Non-TCP flows follow Zeek's UDP rule (flow_record.ts): SF when both sides sent, S0 when only
// the client did, SHR when only the server did.

/** TCP flag bits of the flags byte. */
export const TcpFlag = { Fin: 1, Syn: 2, Rst: 4, Psh: 8, Ack: 16 } as const;

/** Bits of FlowStore.bits: orientation and handshake events, in key (A/B) terms, and a flag. */
export const FlowBit = {
  /** The client (originator) is end B of the key; otherwise end A. */
  ClientIsB: 1,
  /** End A sent a SYN without ACK. */
  SynA: 2,
  SynB: 4,
  /** End A sent a SYN with ACK. */
  SynAckA: 8,
  SynAckB: 16,
  /**
   * One-packet flows only: the packet has been accounted to its hosts (single_packet_flows.ts).
   * Cleared when the flow becomes a full flow and in ended records.
   */
  HostsDone: 32,
} as const;

/** Connection states as small numbers (index into CONN_STATE_NAMES); 0 = not TCP. */
export const ConnState = {
  None: 0,
  S0: 1,
  S1: 2,
  SF: 3,
  REJ: 4,
  S2: 5,
  S3: 6,
  RSTO: 7,
  RSTR: 8,
  RSTOS0: 9,
  RSTRH: 10,
  SH: 11,
  SHR: 12,
  OTH: 13,
} as const;

/** Names by ConnState number. */
export const CONN_STATE_NAMES: readonly string[] = [
  "",
  "S0",
  "S1",
  "SF",
  "REJ",
  "S2",
  "S3",
  "RSTO",
  "RSTR",
  "RSTOS0",
  "RSTRH",
  "SH",
  "SHR",
  "OTH",
];

/**
 * Updates the handshake bits of a flow for a TCP segment with `flags` sent by end B when
 * `fromB`, else by end A. Returns the new bits. Pure: no allocation.
 */
export function updateTcpBits(bits: number, flags: number, fromB: boolean): number {
  if ((flags & TcpFlag.Syn) === 0) return bits;
  if (flags & TcpFlag.Ack) return bits | (fromB ? FlowBit.SynAckB : FlowBit.SynAckA);
  return bits | (fromB ? FlowBit.SynB : FlowBit.SynA);
}

/**
 * The ConnState of a TCP flow from its bits, the flags OR'd over each direction (in A/B terms)
 * and whether the server sent any packet.
 */
export function connState(
  bits: number,
  flagsA: number,
  flagsB: number,
  serverSent: boolean,
): number {
  const clientIsB = (bits & FlowBit.ClientIsB) !== 0;
  const orig = clientIsB ? flagsB : flagsA;
  const resp = clientIsB ? flagsA : flagsB;
  const origSyn = (bits & (clientIsB ? FlowBit.SynB : FlowBit.SynA)) !== 0;
  const respSynAck = (bits & (clientIsB ? FlowBit.SynAckA : FlowBit.SynAckB)) !== 0;
  const origActive = origSyn; // Zeek: SYN_SENT or later; PARTIAL (mid-stream) counts as inactive
  const respActive = respSynAck;
  if (resp & TcpFlag.Rst) {
    if (origSyn && !respSynAck) return ConnState.REJ;
    return origActive ? ConnState.RSTR : ConnState.RSTRH;
  }
  if (orig & TcpFlag.Rst) {
    if (respActive) return ConnState.RSTO;
    return origSyn && !serverSent ? ConnState.RSTOS0 : ConnState.OTH;
  }
  const origFin = (orig & TcpFlag.Fin) !== 0;
  const respFin = (resp & TcpFlag.Fin) !== 0;
  if (origFin && respFin) return ConnState.SF;
  if (origFin) return respActive ? ConnState.S2 : ConnState.SH;
  if (respFin) return origActive ? ConnState.S3 : ConnState.SHR;
  if (origSyn && !serverSent) return ConnState.S0;
  if (origSyn && respSynAck && (orig & TcpFlag.Ack)) return ConnState.S1;
  return ConnState.OTH;
}

/** True when a TCP flow has closed (FIN both ways, or a RST): it then gets the short timeout. */
export function tcpClosed(flagsA: number, flagsB: number): boolean {
  return ((flagsA | flagsB) & TcpFlag.Rst) !== 0 ||
    ((flagsA & flagsB & TcpFlag.Fin) !== 0);
}
