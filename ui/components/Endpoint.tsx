// An address or name with its port, for a narrow cell: when it does not fit, the middle gives way
// (an ellipsis) while the port and the end of the address stay, since the end is what tells
// two hosts of one network (2601:647:…:8bc7) or two servers of one domain apart. On a phone,
// where a flow is a card with room below, it wraps after a dot or colon instead.

import { softBreaks } from "./soft_breaks.tsx";

/** Beginnings shorter than this stay with the end: there is too little to cut. */
const MIN_CUT = 4;

/**
 * `text` cut where its end begins: before the last two groups of an IPv6 address, before the
 * last two labels of a name; an IPv4 address is all end. Returns [beginning, end].
 */
export function splitEnd(text: string): [string, string] {
  const sep = text.includes(":") ? ":" : /[a-z]/i.test(text) ? "." : null;
  if (sep === null) return ["", text];
  const last = text.lastIndexOf(sep);
  const cut = last > 0 ? text.lastIndexOf(sep, last - 1) + 1 : 0;
  return cut < MIN_CUT ? ["", text] : [text.slice(0, cut), text.slice(cut)];
}

/** Props of Endpoint: an address (or a server name) and its port (null: none to show). */
export interface EndpointProps {
  address: string;
  port: number | null;
  /** A name shown instead of the address (the port stays). */
  name?: string | null;
}

/**
 * `[2601:647:…:ecce:8bc7]:443`, `name.example:443` or `192.0.2.1:53`, the middle cut to fit;
 * the cell's title carries the whole endpoint.
 */
export function Endpoint({ address, port, name }: EndpointProps) {
  const text = name ?? address;
  const [middle, end] = splitEnd(text);
  const bracket = !name && port !== null && address.includes(":");
  return (
    <span class="endpoint">
      {bracket && <span class="keep">[</span>}
      {middle && <span class={name ? "cut name" : "cut"}>{softBreaks(middle)}</span>}
      <span class="keep">
        {name ? <span class="name">{end}</span> : end}
        {bracket ? "]" : ""}
        {port !== null && <span class="port">:{port}</span>}
      </span>
    </span>
  );
}
