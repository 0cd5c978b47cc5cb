// TextMatcher: cached answers equal formatting every address, however often asked.

import assert from "node:assert/strict";
import { formatIpv4, formatIpv6 } from "../capture/ip_address.ts";
import { mulberry32 } from "../tests/helpers/random.ts";
import { textMatcher } from "./text_match.ts";

Deno.test("TextMatcher answers like formatting, on first and repeated asks", () => {
  const rnd = mulberry32(18);
  const word = () => Math.floor(rnd() * 2 ** 32) >>> 0;
  // Few distinct words, so cache slots collide and get replaced.
  const v4 = Array.from(
    { length: 400_000 },
    () => (0x0a000000 + Math.floor(rnd() * 300_000)) >>> 0,
  );
  const v6 = Array.from({ length: 100_000 }, () => [0xfd000000, 0, word() & 0xff, word()]);
  for (const text of ["10.", "0.1", "fd00", "::ff", "7"]) {
    for (let round = 0; round < 2; round++) {
      const m = textMatcher(text);
      for (const a of v4) assert.equal(m.v4(a), formatIpv4(a).includes(text), `${text} ${a}`);
      for (const [a, b, c, d] of v6) {
        assert.equal(m.v6(a, b, c, d), formatIpv6(a, b, c, d).includes(text));
      }
    }
  }
  assert.equal(textMatcher("10."), textMatcher("10."), "one matcher per text");
  assert.ok(textMatcher("443").ports![443] === 1 && textMatcher("443").ports![80] === 0);
});
