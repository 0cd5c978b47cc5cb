// `netwatch interfaces`: the interfaces libpcap can capture on, default first marked.

import { listInterfaces } from "../capture/interfaces.ts";
import { interfaceView } from "../server/views.ts";
import type { InterfacesArgs } from "./args.ts";

/** Prints the interface list. */
export function interfacesCommand(args: InterfacesArgs): number {
  const list = listInterfaces();
  if (args.format === "json") {
    // The API's field names (is_default, not isDefault): one vocabulary for programs.
    console.log(JSON.stringify(list.map(interfaceView), null, 2));
    return 0;
  }
  const width = Math.max(4, ...list.map((i) => i.name.length));
  for (const info of list) {
    const state = [
      info.isDefault ? "default" : "",
      info.up ? "up" : "down",
      info.running ? "running" : "",
      info.loopback ? "loopback" : "",
      info.wireless ? "wireless" : "",
    ].filter(Boolean).join(",");
    const detail = [info.addresses.join(" "), info.description].filter(Boolean).join("  ");
    console.log(
      `${info.isDefault ? "*" : " "} ${info.name.padEnd(width)}  ${state.padEnd(24)} ${detail}`,
    );
  }
  return 0;
}
