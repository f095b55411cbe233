/**
 * What two runs of one script against one daemon may print differently by nature: clocks,
 * uptimes and counters that move between two connections, random keys, salts, nonces and
 * connection ids a server makes anew each time, process ids, and the hash order in which Lua
 * iterates a table (nmap 7.93 seeds its string hash at start-up, so its own runs differ there).
 * Each case names the script and the fields it blanks (to "*"); everything else must match.
 */

/** Blanks the value of each `name: value` line of `text` whose name is in `names`. */
function blankFields(text: string, names: string[]): string {
  const alt = names.map((n) => n.replace(/[()$.]/g, "\\$&")).join("|");
  return text.replace(new RegExp(`^(\\s*(?:${alt}): ).*$`, "gm"), "$1*");
}

/** `text` with the values of script `id` on `port` ("80/tcp", "host") that differ by nature blanked. */
export function byNature(port: string, id: string, text: string): string {
  const blank = (names: string[]) => blankFields(text, names);
  switch (id) {
    case "imap-capabilities":
    case "pop3-capabilities":
      return text.split(" ").sort().join(" "); // a Lua table's hash order
    case "redis-info":
      return blank([
        "Process ID",
        "Used CPU (sys)",
        "Used CPU (user)",
        "Connected clients",
        "Used memory",
      ]);
    case "memcached-info":
      return blank([
        "Uptime",
        "Server time",
        "Used CPU (user)",
        "Used CPU (system)",
        "Current connections",
        "Total connections",
      ]);
    case "snmp-info":
      return blank(["snmpEngineTime"]);
    case "snmp-sysdescr":
      return blank(["System uptime"]);
    case "snmp-interfaces":
      return blank(["Traffic stats"]); // byte counters
    case "snmp-netstat":
      // Connections come and go (the scans' own among them); the listeners stay.
      return text.split("\n").filter((l) => !/^\s*TCP\s+\S+\s+(?!0\.0\.0\.0:0\s*$)\S+\s*$/.test(l))
        .join("\n");
    case "snmp-processes":
      // The process table of a machine that other runs share: only its shape is compared (an
      // entry per pid, each with the same fields), not which processes happen to live.
      return [
        ...new Set(
          text.split("\n").map((l) =>
            l.replace(/^(\s*)\d+:\s*$/, "$1<pid>:").replace(/^(\s*\w+):.*$/, "$1")
          ),
        ),
      ].join("\n");
    case "ftp-anon":
      // The daemon's own log file, which every connection (the scans') writes to.
      return text.replace(
        /^(\s*\S+\s+\d+\s+\S+\s+\S+\s+)\d+ \w{3} [ \d]\d [ \d]\d:\d\d (\S*log)$/gm,
        "$1* * $2",
      );
    case "ntp-info":
      return blank(["receive time stamp"]);
    case "ftp-syst":
      return text.replace(/client count was \d+/, "client count was *");
    case "mysql-info":
      // The capabilities' order is a Lua table's hash order in nmap's.
      return blank(["Thread ID", "Salt"]).replace(
        /^(\s*Some Capabilities: )(.*)$/m,
        (_, k: string, v: string) => k + v.split(", ").sort().join(", "),
      );
    case "ssl-date":
      // The server's clock, and the skew measured against the scanner's (0s or 1s by timing).
      return text.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*; [^.]*\./, "*; *.");
    case "smb2-time":
      return blank(["date", "start_date"]);
    case "smb-os-discovery":
      return blank(["System time"]);
    case "clock-skew":
      // Every value is a skew measured against the scanner's clock.
      return text.replace(/-?\d+(?:\.\d+)?m?s/g, "*");
    case "ldap-rootdse":
      return blank(["currentTime"]);
    case "rdp-ntlm-info":
    case "ms-sql-ntlm-info":
    case "smtp-ntlm-info":
    case "imap-ntlm-info":
    case "pop3-ntlm-info":
      return blank(["System_Time"]);
    case "xmpp-info":
      return blank(["stream_id"]); // new on every stream
    case "irc-info":
      return blank(["uptime", "source ident", "source host", "users", "lusers"]);
    case "banner": {
      // The time (daytime, SMTP greetings), and what a greeting carries that is new on every
      // connection: the time service's clock, MariaDB's thread id and salt.
      if (port === "37/tcp") return "*";
      const joined = text.replace(/\n/g, "");
      if (/MariaDB/.test(joined)) return joined.replace(/(MariaDB[^\\]*\\x00).*$/, "$1*");
      // An SSH server that sends its KEXINIT at once (Dropbear): its cookie is random.
      if (/^SSH-/.test(joined)) return joined.replace(/(\\x0D\\x0A).*$/, "$1*");
      return text.replace(/\d\d:\d\d:\d\d/g, "*");
    }
  }
  return text;
}
