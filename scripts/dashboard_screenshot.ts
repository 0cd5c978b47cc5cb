// Takes the README's screenshot (docs/dashboard.png): `deno task screenshot`, as root.
//
// Netwatch captures live on one end of a veth pair while tcpreplay plays three corpus captures
// into the other end (in a namespace made here): TLS at half speed, an iPhone's DNS and TLS in
// real time (names, apps), and nDPI's site captures at a steady pace, six times over (names,
// apps, and servers in several countries). A live capture, not
// `--read`, because it is what users run, and a small GeoIP database (tests/helpers/
// screenshot_geoip.ts) gives the public hosts countries and ASNs. The frames stay on the veth:
// the root end has no address, so nothing is routed or answered.

import { corpusPath } from "../tests/helpers/corpus.ts";
import { cliCommand } from "../tests/helpers/cli.ts";
import { launchChromium } from "../tests/helpers/dashboard.ts";
import { requireCommands, requireNamespaces, sh, waitForLine } from "../tests/helpers/netns.ts";
import { screenshotGeoIp } from "../tests/helpers/screenshot_geoip.ts";
import { freePort } from "../tests/helpers/serve.ts";
import { buildUiAssets } from "../ui/build_assets.ts";

const OUT = new URL("../docs/dashboard.png", import.meta.url).pathname;
/** Seconds of traffic before the picture: the iPhone's TLS burst is at 46-48 s of its capture. */
const SETTLE_SEC = 52;
const VIEWPORT = { width: 1360, height: 1240 };

await requireNamespaces();
await requireCommands(["tcpreplay"]);
await buildUiAssets();
const id = Deno.pid % 100000;
const ns = `nwshot${id}`;
const dev = `nwsA${id}`;
const peer = `nwsB${id}`;
const dir = await Deno.makeTempDir({ prefix: "netwatch-shot-" });
const children: Deno.ChildProcess[] = [];
try {
  await sh(["ip", "netns", "add", ns]);
  await sh(["ip", "link", "add", dev, "type", "veth", "peer", "name", peer, "netns", ns]);
  // No IPv6 on either end: no router solicitations or DAD in the picture.
  await sh(["sysctl", "-qw", `net.ipv6.conf.${dev}.disable_ipv6=1`]);
  await sh(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
  await sh(["ip", "link", "set", dev, "up"]);
  await sh(["ip", "-n", ns, "link", "set", peer, "up"]);

  const geoip = `${dir}/screenshot.mmdb`;
  await Deno.writeFile(geoip, screenshotGeoIp());
  const port = freePort();
  const [program, ...lead] = cliCommand();
  const serve = new Deno.Command(program, {
    args: [
      ...lead,
      ...["serve", "-i", dev, "--listen", `127.0.0.1:${port}`, "--geoip", geoip, "--no-history"],
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  children.push(serve);
  await waitForLine(serve.stderr, /serving http/, 60_000, "netwatch serve");

  const replay = (args: string[]) => {
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", ns, "tcpreplay", "-q", "-i", peer, ...args],
      stdout: "null",
      stderr: "null",
    }).spawn();
    children.push(child);
  };
  replay(["--multiplier", "0.5", corpusPath("real/pcapplusplus_tls2.pcap")]);
  replay([corpusPath("real/ndpi_iphone.pcap")]);
  replay(["--pps", "70", "--loop", "6", corpusPath("real/ndpi_sites.pcapng")]);

  const browser = await launchChromium(VIEWPORT);
  try {
    const page = browser.context.pages()[0] ?? await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${port}/?window=5m`);
    await page.waitForSelector("[data-testid=stream-status][data-status=live]");
    await page.waitForTimeout(SETTLE_SEC * 1000);
    await Deno.mkdir(new URL("../docs/", import.meta.url), { recursive: true });
    await page.screenshot({ path: OUT });
  } finally {
    await browser.close();
  }
  const bytes = (await Deno.stat(OUT)).size;
  console.log(`wrote ${OUT} (${(bytes / 1000).toFixed(0)} kB)`);
} finally {
  for (const child of children) {
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await child.status;
  }
  await sh(["ip", "netns", "del", ns]).catch(() => {});
  await sh(["ip", "link", "del", dev]).catch(() => {});
  await Deno.remove(dir, { recursive: true });
}
