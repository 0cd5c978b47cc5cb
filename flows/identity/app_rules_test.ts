// Tests for the application matcher: longest suffix, label boundaries, table checks, labels.

import assert from "node:assert/strict";
import { appLabel, AppMatcher, NO_APP } from "./app_rules.ts";
import { APP_RULES } from "./app_rules_table.ts";

const matcher = new AppMatcher();
const app = (name: string) => matcher.appName(matcher.match(name));

Deno.test("AppMatcher matches a name and the names below it", () => {
  assert.equal(app("youtube.com"), "YouTube");
  assert.equal(app("r3---sn-4g5e6nsz.googlevideo.com"), "YouTube");
  assert.equal(app("www.google.com"), "Google");
  assert.equal(app("graph.facebook.com"), "Facebook");
  assert.equal(app("video.fmct2-3.fna.fbcdn.net"), "Facebook");
  assert.equal(app("zoom.us"), "Zoom");
  assert.equal(app("hkminorshort.weixin.qq.com"), "WeChat");
  assert.equal(app("www.qq.com"), "QQ");
});

Deno.test("AppMatcher prefers the longest suffix", () => {
  assert.equal(app("teams.microsoft.com"), "Teams");
  assert.equal(app("presence.teams.microsoft.com"), "Teams");
  assert.equal(app("www.microsoft.com"), "Microsoft");
  assert.equal(app("onedrive.live.com"), "OneDrive");
  assert.equal(app("login.live.com"), "Microsoft365");
});

Deno.test("AppMatcher matches whole labels only and ignores a port", () => {
  assert.equal(matcher.match("notyoutube.com"), NO_APP);
  assert.equal(matcher.match("youtube.com.evil.example"), NO_APP);
  assert.equal(matcher.match(""), NO_APP);
  assert.equal(matcher.match("com"), NO_APP);
  assert.equal(app("github.com:443"), "GitHub");
});

Deno.test("the rule table covers at least 40 applications and loads cleanly", () => {
  assert.ok(new Set(APP_RULES.map((r) => r.app)).size >= 40);
  assert.throws(
    () =>
      new AppMatcher([{ app: "A", suffixes: ["x.example"] }, {
        app: "B",
        suffixes: ["x.example"],
      }]),
    /belongs to both A and B/,
  );
});

Deno.test("appLabel() joins master protocol and application as nDPI does", () => {
  assert.equal(appLabel("TLS", "YouTube"), "TLS.YouTube");
  assert.equal(appLabel("DNS", ""), "DNS");
  assert.equal(appLabel("", "Google"), "Google");
});
