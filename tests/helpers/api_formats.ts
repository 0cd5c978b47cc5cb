// Checks of the API's text formats in end-to-end tests: Prometheus exposition, RFC 4180 CSV.

import assert from "node:assert/strict";

/** A metric family as parse-prometheus-text-format returns it (the package has no types). */
export interface PromFamily {
  name: string;
  help: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

/**
 * Checks text against the Prometheus text exposition format (0.0.4) more strictly than the
 * parser: line grammar, names, label escaping, values, one TYPE per family before its samples,
 * samples of a family together, no duplicate series, final newline.
 */
export function checkExposition(text: string): void {
  assert.ok(text.endsWith("\n"), "must end with a newline");
  const name = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  const label = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
  const value = "(?:[+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+)|NaN|[+-]Inf)";
  const sample = new RegExp(
    `^(${name})(?:\\{(${label}(?:,${label})*)?,?\\})? ${value}(?: -?\\d+)?$`,
  );
  const typed = new Map<string, string>();
  const seen = new Set<string>();
  const done = new Set<string>();
  let current = "";
  for (const line of text.slice(0, -1).split("\n")) {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^# HELP (${name}) .*$`).exec(line))) continue;
    if (
      (m = new RegExp(`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`).exec(line))
    ) {
      assert.ok(!typed.has(m[1]), `second TYPE for ${m[1]}`);
      typed.set(m[1], m[2]);
      continue;
    }
    assert.ok(!line.startsWith("#") || line.startsWith("# "), `bad comment: ${line}`);
    if (line.startsWith("#")) continue;
    m = sample.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const family = m[1];
    assert.ok(typed.has(family), `${family} has no TYPE before its samples`);
    if (family !== current) {
      assert.ok(!done.has(family), `samples of ${family} are not together`);
      if (current) done.add(current);
      current = family;
    }
    const series = `${family}{${m[2] ?? ""}}`;
    assert.ok(!seen.has(series), `duplicate series ${series}`);
    seen.add(series);
  }
  assert.ok(seen.size > 10, "too few samples");
}

/** Parses RFC 4180 CSV (quoted fields, CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  assert.equal(field + row.join(""), "", "CSV must end with CRLF");
  return rows;
}
