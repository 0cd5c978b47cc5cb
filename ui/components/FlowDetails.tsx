// The details of one flow, in a modal dialog opened from the flow table.

import { useEffect, useRef, useState } from "preact/hooks";
import type { FlowRecord } from "../../server/wire.ts";
import { apiGet } from "../client/api.ts";
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

/** Bits per second over max(duration, 1 s), the API's definition of a flow's rate. */
export function flowRate(f: FlowRecord): number {
  return (f.bytes_c2s + f.bytes_s2c) * 8 / Math.max(1, f.last_ts - f.first_ts);
}

/** A modal dialog with every field of the flow. */
export function FlowDetails({ flow, onClose }: FlowDetailsProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [f, setFlow] = useState(flow);
  const [note, setNote] = useState("");
  useEffect(() => {
    dialog.current?.showModal();
    apiGet<FlowRecord>(`flows/${flow.id}`).then(setFlow).catch((e: Error) =>
      setNote(`Could not refresh: ${e.message}`)
    );
  }, [flow.id]);
  const rows: [string, string][] = [
    ["Protocol", f.proto + (f.service ? ` (${f.service})` : "")],
    ["Client", formatEndpoint(f.src_ip, f.no_ports ? null : f.src_port)],
    ["Server", formatEndpoint(f.dst_ip, f.no_ports ? null : f.dst_port)],
    ["State", `${f.state}${f.active ? ", active" : ", ended"}`],
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
    ["Rate", formatBitRate(flowRate(f))],
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
      <form method="dialog">
        <button type="submit" autofocus>Close</button>
      </form>
    </dialog>
  );
}
