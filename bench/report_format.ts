// Markdown pieces every section of BENCHMARKS.md uses: numbers, tables and verdicts.

/** A number with thousands separators and `digits` decimals; "-" when unknown. */
export function n(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "-";
  return v.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** A Markdown table (deno fmt aligns it afterwards). */
export function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

/** A target's verdict, bold; "not measured" when there is no figure. */
export function verdict(met: boolean | undefined): string {
  return met === undefined ? "not measured" : met ? "**met**" : "**missed**";
}
