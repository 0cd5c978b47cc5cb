// The details of one flow, in a modal dialog opened from the flow table.

import { useEffect, useRef, useState } from "preact/hooks";
import type { FlowRecord } from "../../server/wire.ts";
import { apiGet, ApiRequestError } from "../client/api.ts";
import { stateMeaning } from "../client/conn_states.ts";
import { serverSecond, view } from "../client/store.ts";
import { flowRate, flowRateNow } from "./flow_columns.tsx";
import {
  formatBitRate,
  formatBytes,
  formatClock,
  formatCount,
  formatDuration,
  formatEndpoint,
} from "../client/format.ts";

/** Props of FlowDetails: the row's record (shown at once, then refreshed from the API). */
export interface FlowDetailsProps {
  flow: FlowRecord;
  onClose(): void;
}

/** A modal dialog with every field of the flow. */
export function FlowDetails({ flow, onClose }: FlowDetailsProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [f, setFlow] = useState(flow);
  const [note, setNote] = useState("");
  useEffect(() => {
    dialog.current?.showModal();
    // An ended flow never changes (and one read from history on disk has no /flows/{id} in
    // memory to ask): only an active one is refreshed.
    if (!flow.active) return;
    apiGet<FlowRecord>(`flows/${flow.id}`).then(setFlow).catch((e: Error) =>
      setNote(
        e instanceof ApiRequestError && e.status === 404
          ? "It has ended since: these are its last figures."
          : `Could not refresh: ${e.message}`,
      )
    );
  }, [flow.id]);
  /** Closes this dialog and opens the host view of `address`. */
  function showHost(address: string) {
    dialog.current?.close();
    view.value = { ...view.peek(), hostview: address };
  }
  const rows: [string, string][] = [
    ["Protocol", f.proto + (f.service ? ` (port: ${f.service})` : "")],
    ["App", f.app ?? "none seen"],
    [
      "Client",
      f.aggregate
        ? "many clients: one-packet flows folded into one record (a flood or scan)"
        : formatEndpoint(f.src_ip, f.no_ports ? null : f.src_port),
    ],
    ["Server", formatEndpoint(f.dst_ip, f.no_ports ? null : f.dst_port)],
    ["Server name", f.server_name ?? "none seen (SNI, HTTP Host, DNS...)"],
    ["Tunnel", f.tunnel ?? "none"],
    [
      "State",
      `${f.state}: ${stateMeaning(f.state)}. ${
        f.active ? "Active (still tracked)" : "Ended (no longer tracked)"
      }`,
    ],
    ["VLAN", f.vlan === null ? "untagged" : String(f.vlan)],
    [
      "Client → server",
      `${formatBytes(f.bytes_c2s)} (${formatCount(f.bytes_c2s)} B), ${
        formatCount(f.packets_c2s)
      } packets`,
    ],
    [
      "Server → client",
      `${formatBytes(f.bytes_s2c)} (${formatCount(f.bytes_s2c)} B), ${
        formatCount(f.packets_s2c)
      } packets`,
    ],
    ["Rate now", `${formatBitRate(flowRateNow(f, serverSecond.value))} (last 3 finished s)`],
    ["Average rate", `${formatBitRate(flowRate(f))} (bytes over the duration)`],
    ["First seen", `${formatClock(f.first_ts)} (${new Date(f.first_ts * 1000).toISOString()})`],
    ["Last seen", `${formatClock(f.last_ts)} (${new Date(f.last_ts * 1000).toISOString()})`],
    ["Duration", formatDuration(f.last_ts - f.first_ts)],
    ["Flow id", String(f.id)],
  ];
  return (
    <dialog
      ref={dialog}
      class="flow-details"
      aria-labelledby="flow-details-title"
      onClose={onClose}
      data-testid="flow-details"
    >
      <h3 id="flow-details-title">
        Flow {formatEndpoint(f.src_ip, f.no_ports ? null : f.src_port)} →{" "}
        {formatEndpoint(f.dst_ip, f.no_ports ? null : f.dst_port)}
      </h3>
      <dl>
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {note && <p class="error">{note}</p>}
      <form method="dialog" class="dialog-actions">
        {!f.aggregate && (
          <button
            type="button"
            onClick={() => showHost(f.src_ip)}
          >
            Client host
          </button>
        )}
        <button type="button" onClick={() => showHost(f.dst_ip)}>
          Server host
        </button>
        <button type="submit" autofocus>Close</button>
      </form>
    </dialog>
  );
}
