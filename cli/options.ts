// The command line's options, each declared once: its parseArgs shape and the commands it applies to.

/** The commands. */
export const COMMANDS = ["serve", "capture", "report", "interfaces"] as const;
export type Command = typeof COMMANDS[number];

const ALL = COMMANDS;
const SERVE = ["serve"] as const;
const LIVE = ["serve", "capture"] as const;
const FILTERED = ["serve", "capture", "report"] as const;

/**
 * Every option. `commands` lists where it applies; anywhere else it is a usage error naming it.
 * parseArgs reads `type`, `short` and `multiple` and ignores the rest.
 */
export const OPTIONS = {
  help: { type: "boolean", short: "h", commands: ALL },
  version: { type: "boolean", short: "V", commands: ALL },
  format: { type: "string", commands: ["capture", "report", "interfaces"] },
  // What to capture.
  interface: { type: "string", short: "i", commands: LIVE },
  filter: { type: "string", short: "f", commands: FILTERED },
  snaplen: { type: "string", commands: LIVE },
  "buffer-size": { type: "string", commands: LIVE },
  "no-promisc": { type: "boolean", commands: LIVE },
  immediate: { type: "boolean", commands: LIVE },
  // capture
  duration: { type: "string", commands: ["capture"] },
  count: { type: "string", commands: ["capture"] },
  quiet: { type: "boolean", short: "q", commands: ["capture"] },
  // report
  flows: { type: "boolean", commands: ["report"] },
  // serve: replay, HTTP, access.
  read: { type: "string", commands: SERVE },
  speed: { type: "string", commands: SERVE },
  listen: { type: "string", commands: SERVE },
  token: { type: "string", commands: SERVE },
  "token-file": { type: "string", commands: SERVE },
  "insecure-no-auth": { type: "boolean", commands: SERVE },
  "max-stream-connections": { type: "string", commands: SERVE },
  "max-connections": { type: "string", commands: SERVE },
  "allowed-host": { type: "string", multiple: true, commands: SERVE },
  "cookie-secure": { type: "boolean", commands: SERVE },
  "login-rate": { type: "string", commands: SERVE },
  // serve: the engine.
  workers: { type: "string", commands: SERVE },
  "max-flows": { type: "string", commands: SERVE },
  "max-history": { type: "string", commands: SERVE },
  "max-hosts": { type: "string", commands: SERVE },
  "history-minutes": { type: "string", commands: SERVE },
  timeouts: { type: "string", commands: SERVE },
  // serve: flow export (export/).
  export: { type: "string", multiple: true, commands: SERVE },
  "export-biflow": { type: "boolean", commands: SERVE },
  "export-retention": { type: "string", commands: SERVE },
  "export-password-file": { type: "string", commands: SERVE },
  // serve: places.
  geoip: { type: "string", multiple: true, commands: SERVE },
  "no-geoip": { type: "boolean", commands: SERVE },
  // serve: history on disk (history/).
  "data-dir": { type: "string", commands: SERVE },
  "no-history": { type: "boolean", commands: SERVE },
  "retention-size": { type: "string", commands: SERVE },
  retention: { type: "string", commands: SERVE },
} as const;

export type OptionName = keyof typeof OPTIONS;

/** The options that may be given more than once (each adds to a list). */
export const MULTIPLE: ReadonlySet<string> = new Set(
  Object.entries(OPTIONS).filter(([, o]) => "multiple" in o && o.multiple).map(([name]) => name),
);

/** True when option `name` applies to `command`. */
export function appliesTo(name: string, command: Command): boolean {
  const option = (OPTIONS as Record<string, { commands: readonly string[] }>)[name];
  return option !== undefined && option.commands.includes(command);
}
