// Every island by the name the server writes into `data-island`: the client hydrates from here.

import type { ComponentType } from "preact";
import FlowTable from "./FlowTable.tsx";
import HostView from "./HostView.tsx";
import Mix from "./Mix.tsx";
import StatusBar from "./StatusBar.tsx";
import Throughput from "./Throughput.tsx";
import TokenPrompt from "./TokenPrompt.tsx";
import TopTalkers from "./TopTalkers.tsx";

/** Island components by name. */
// deno-lint-ignore no-explicit-any
export const ISLANDS: Record<string, ComponentType<any>> = {
  FlowTable,
  HostView,
  Mix,
  StatusBar,
  Throughput,
  TokenPrompt,
  TopTalkers,
};
