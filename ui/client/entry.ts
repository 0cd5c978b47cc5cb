// The client bundle's entry: hydrates every island the server rendered, then starts the data.

import { h, hydrate } from "preact";
import { ISLANDS } from "../islands/registry.ts";
import { startDashboard } from "./dashboard.ts";

for (const element of document.querySelectorAll<HTMLElement>("[data-island]")) {
  const component = ISLANDS[element.dataset.island ?? ""];
  if (!component) {
    console.error(`netwatch: no island named "${element.dataset.island}"`);
    continue;
  }
  hydrate(h(component, JSON.parse(element.dataset.props ?? "{}")), element);
}
startDashboard();
