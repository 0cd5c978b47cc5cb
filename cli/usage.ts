// The usage text, and the error a mistake on the command line raises.

import { netRawHint } from "../capture/capture_error.ts";

/** A mistake in the command line: printed with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const USAGE = `Netwatch: where a server's bandwidth goes.

Usage:
  netwatch [serve] [options]       capture and serve the HTTP API and live stream (default)
  netwatch capture [options]       capture live, print a line a second, report on exit
  netwatch report FILE [options]   read a pcap or pcapng file and report on it
  netwatch interfaces [options]    list the interfaces Netwatch can capture on
  netwatch --help | --version

Capture options:
  -i, --interface NAME   interface to capture on (default: the one with the default route)
  -f, --filter EXPR      BPF filter, as for tcpdump (pcap-filter(7))
      --duration SEC     stop after this many seconds (default: until Ctrl-C)
      --count N          stop after N packets
      --snaplen BYTES    bytes kept per packet (default 2048: a whole frame, whose payload
                         QUIC and TLS names need; at most 262144)
      --buffer-size MIB  kernel capture buffer (default 64, at most 1024)
      --no-promisc       do not put the interface into promiscuous mode
      --immediate        deliver packets at once instead of in kernel blocks (more CPU)
      --quiet            no per-second lines
Serve options (and -i, -f, --snaplen, --buffer-size, --no-promisc, --immediate):
      --read FILE        replay a pcap or pcapng file instead of capturing live
      --speed N|max      replay speed: 1 real time, 10 ten times faster, max (default);
                         N from 0.001 to 1000000; silences over 10 s are skipped
      --listen HOST:PORT address to serve on (default 127.0.0.1:7500)
      --token TOKEN      require this token, 16 characters at least (also NETWATCH_TOKEN,
                         or --token-file PATH); clients send Authorization: Bearer TOKEN
      --token-file PATH  read the token from a file (first line)
      --insecure-no-auth allow a non-loopback --listen without a token
      --max-flows N      active flows kept (default 1000000; then the least recent is evicted)
      --max-history N    ended flow records kept (default 2000000)
      --history-minutes M  how long ended flows are kept (default 60)
      --max-hosts N      hosts tracked for top talkers (default 65536)
      --timeouts K=S,... idle timeouts in seconds: tcp (300), tcp-closed (10), udp (60),
                         icmp (30), other (60), and active (1800) for long flows
      --max-stream-connections N
                         open WebSocket streams at most; more get 503 (default 256)
      --max-connections N
                         open HTTP connections at most, streams included (default 1024,
                         and always below the open-file limit); more get 503
      --allowed-host NAME
                         also accept this Host (a reverse proxy's name; repeatable)
      --cookie-secure    mark the login cookie Secure (served behind HTTPS)
      --login-rate N     wrong tokens a second per client address after a burst of 5, and
                         for all of them together after 50, before 429 (default 1; 0 off)
      --workers N        live capture: split the interface across N capture workers
                         (PACKET_FANOUT; default half the cores, at most 8)
      --export URL       send ended flows to an IPFIX collector or ClickHouse (repeatable):
                         ipfix://HOST:PORT (UDP), ipfix+tcp://HOST:PORT,
                         clickhouse+http://[USER[:PASSWORD]@]HOST:8123/DATABASE
      --export-biflow    IPFIX: one RFC 5103 biflow record per flow instead of two one-way
      --export-retention DAYS
                         ClickHouse: drop day partitions older than DAYS days
      --export-password-file FILE
                         ClickHouse: read the password from FILE (first line)
      --geoip FILE       MaxMind-format database (country, ASN or city: GeoLite2, DB-IP
                         Lite, IPinfo Lite) for countries and AS numbers; repeatable;
                         consulted before the built-in DB-IP country database
      --no-geoip         no place lookups, not even the built-in country database
History options (serve):
      --data-dir DIR     where history is kept (default: $STATE_DIRECTORY under systemd,
                         /var/lib/netwatch for root, else $XDG_STATE_HOME/netwatch or
                         ~/.local/state/netwatch)
      --retention-size SIZE
                         disk the history may take, e.g. 500MB, 2GiB (default 512MiB);
                         the oldest data goes first, flow records before totals
      --retention AGE    also drop history older than this, e.g. 30d, 12h (default: none)
      --no-history       keep only the last hour, in memory, as before
Report options:
  -f, --filter EXPR      count only packets matching a BPF filter
      --flows            list every flow record (timeouts apply in file time)
Output options (capture, report, interfaces):
      --format FORMAT    text (default) or json

Capturing needs CAP_NET_RAW. ${netRawHint()}.
Exit codes: 0 ok, 1 runtime error, 2 usage error.`;
