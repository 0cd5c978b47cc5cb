// Names and addresses that wrap where a reader expects: after the dots of a host name and the
// colons of an IPv6 address (github.githubassets. / com), never inside a label (…assets.c / om).

import type { ComponentChildren } from "preact";

/** `text` with a line-break opportunity (<wbr>) after each dot and colon. */
export function softBreaks(text: string): ComponentChildren {
  const parts = text.split(/(?<=[.:])(?=.)/);
  if (parts.length === 1) return text;
  return parts.flatMap((part, i) => (i === 0 ? [part] : [<wbr key={i} />, part]));
}
