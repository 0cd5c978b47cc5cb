// The server-rendered page shell: head, layout and the islands in reading order.
//
// Throughput and top talkers come first (top of the page, left to right), so the biggest
// consumers are where the eye lands; the traffic mix sits under them, then the flow table.

import { UNITS_NOTE } from "../client/format.ts";
import FlowTable from "../islands/FlowTable.tsx";
import HostView from "../islands/HostView.tsx";
import Mix from "../islands/Mix.tsx";
import StatusBar from "../islands/StatusBar.tsx";
import Throughput from "../islands/Throughput.tsx";
import TokenPrompt from "../islands/TokenPrompt.tsx";
import TopTalkers from "../islands/TopTalkers.tsx";
import { Island } from "./Island.tsx";

/** An attribution a data source's licence asks for: "Countries: IP Geolocation by DB-IP". */
export interface Credit {
  /** What the data is used for. */
  what: string;
  text: string;
  href: string;
}

/** Props of Page. */
export interface PageProps {
  version: string;
  /** Attributions for the data in use, shown in the footer. */
  credits: readonly Credit[];
  /** The server requires a token (the header offers to log out). */
  auth: boolean;
  /** URL of the hashed script and stylesheet. */
  script: string;
  stylesheet: string;
}

/** The whole document. */
export function Page({ version, credits, auth, script, stylesheet }: PageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>Netwatch</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={stylesheet} />
        <script type="module" src={script}></script>
      </head>
      <body>
        <a class="skip" href="#flows">Skip to flows</a>
        <Island name="StatusBar" component={StatusBar} props={{ version, auth }} />
        <main class="grid">
          <section class="card area-throughput" aria-label="Throughput">
            <Island name="Throughput" component={Throughput} props={{}} />
          </section>
          <section class="card area-talkers" aria-label="Top talkers">
            <Island name="TopTalkers" component={TopTalkers} props={{}} />
          </section>
          <section class="card area-mix" aria-label="Traffic mix">
            <Island name="Mix" component={Mix} props={{}} />
          </section>
          <section class="card area-flows" id="flows" aria-label="Flows" tabIndex={-1}>
            <Island name="FlowTable" component={FlowTable} props={{}} />
          </section>
        </main>
        <footer>
          <p>
            {UNITS_NOTE} Netwatch {version} · <a href="/api/v1/openapi.json">API (OpenAPI)</a> ·
            {" "}
            <a href="/metrics">Prometheus metrics</a>
            {credits.map((credit) => (
              <span key={credit.href} class="credit">
                {` · ${credit.what}: `}
                <a href={credit.href}>{credit.text}</a>
              </span>
            ))}
          </p>
        </footer>
        <Island name="HostView" component={HostView} props={{}} />
        <Island name="TokenPrompt" component={TokenPrompt} props={{}} />
        <noscript>
          <p class="banner">The live dashboard needs JavaScript. The JSON API is at /api/v1.</p>
        </noscript>
      </body>
    </html>
  );
}
