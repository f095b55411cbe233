/** nmap's and Porthole's --packet-trace lines, made comparable. */

/** What the options under test fix: the rest differs by nature and is normalised. */
export interface Keep {
  /** Our source port (a probe's source, a reply's destination). */
  port: boolean;
  /** The TTL of what we sent. */
  ttl: boolean;
}

/**
 * The SENT/RCVD lines of `stdout` with times, IP IDs, sequence and acknowledgement numbers
 * normalised (and our port and TTL unless kept), each once (retransmissions repeat a line),
 * sorted.
 */
export function traceLines(stdout: string, keep: Keep): string[] {
  const lines = stdout.split("\n").filter((l) => /^(SENT|RCVD) \(/.test(l)).map((l) => {
    let s = l.replace(/^(\w+) \(\d+\.\d{4}s\)/, "$1 (T)").replace(/\b(id|seq|ack)=\d+/g, "$1=N");
    if (!keep.ttl && s.startsWith("SENT")) s = s.replace(/\bttl=\d+/, "ttl=N");
    if (!keep.port) {
      // Our port (a decoy's copy leaves from it too): the probe's source, the reply's destination.
      s = s.startsWith("SENT")
        ? s.replace(/ (\d+\.\d+\.\d+\.\d+):\d+ > /, " $1:P > ")
        : s.replace(/ > (\d+\.\d+\.\d+\.\d+):\d+ /, " > $1:P ");
    }
    return s;
  });
  return [...new Set(lines)].sort();
}
