// The public capture corpus vendored in tests/data (provenance in each folder's SOURCES.md) and
// its tshark ground truth; nDPI's own test captures and expected results in tests/data/ndpi.

const CORPUS = new URL("../data/pcaps/", import.meta.url);
const NDPI = new URL("../data/ndpi/", import.meta.url);

/** Absolute path of a file in the corpus, e.g. `corpusPath("real/zeek_wikipedia.pcap")`. */
export function corpusPath(relative: string): string {
  return new URL(relative, CORPUS).pathname;
}

/**
 * Rows of a CSV file in the corpus, keyed by header. Leading `#` lines are notes (the truth
 * files' first line names the tools and versions that made them) and are skipped. The corpus
 * CSVs have no quoted commas (checked: every row must have as many fields as the header).
 */
export function readCsv(relative: string): Record<string, string>[] {
  const path = corpusPath(relative);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new Error(`The capture corpus is missing (${path}): ${error}`);
  }
  const all = text.trim().split(/\r?\n/);
  const notes = all.findIndex((line) => !line.startsWith("#"));
  const [header, ...lines] = all.slice(notes < 0 ? all.length : notes);
  const keys = header.split(",");
  return lines.map((line, n) => {
    const fields = line.split(",");
    if (fields.length !== keys.length) {
      throw new Error(
        `${relative} line ${notes + n + 2}: ${fields.length} fields, header has ${keys.length}`,
      );
    }
    return Object.fromEntries(keys.map((key, i) => [key, fields[i]]));
  });
}

/** Capture files in a corpus folder ("real" or "malformed"), sorted. */
export function corpusFiles(folder: string): string[] {
  return [...Deno.readDirSync(corpusPath(`${folder}/`))]
    .filter((e) => e.isFile && /\.(pcap|pcapng)$/.test(e.name))
    .map((e) => e.name)
    .sort();
}

/** Absolute path of a file in the nDPI set, e.g. `ndpiPath("pcap/quic-v2.pcapng")`. */
export function ndpiPath(relative: string): string {
  return new URL(relative, NDPI).pathname;
}
