/** Reading script output back from nmap's (and Porthole's) normal output, for comparisons. */

/**
 * "port/proto id" ("host id" for host scripts) → the script's output (the lines after "| " or
 * "|_"), from a normal report.
 */
export function scriptsByPort(out: string): Map<string, string> {
  const m = new Map<string, string>();
  let port = "";
  let key = "";
  for (const l of out.split("\n")) {
    const p = l.match(/^(\d+\/(?:tcp|udp))\s/);
    if (p || l === "Host script results:") {
      port = p ? p[1]! : "host";
      continue;
    }
    const start = l.match(/^\|[ _]([\w.-]+):(?: (.*))?$/);
    if (start) {
      key = `${port} ${start[1]}`;
      m.set(key, start[2] ?? "");
    } else if (/^\|[ _]/.test(l) && key) {
      m.set(key, `${m.get(key)}\n${l.replace(/^\|_?/, "")}`);
    }
  }
  return m;
}

/** The <script …>…</script> elements of an XML report, in document order. */
export function scriptXml(xml: string): string[] {
  return xml.match(/<script id=[^]*?(?:\/>|<\/script>)/g) ?? [];
}

/**
 * nbstat's text as nmap prints it since 7.95: nmap 7.93's stdnse.tohex ignores its separator
 * (nmap issue #2744), so its NetBIOS MAC is 12 bare hex digits and Samba's all-zero MAC is not
 * seen as none (it gets prefix 00:00:00's vendor). Porthole's built-in nbstat prints the fixed
 * text; nmap's own nbstat, run by Porthole, prints 7.93's.
 */
export function nbstatMacFixed(text: string): string {
  return text.replace(
    /NetBIOS MAC: ([0-9a-f]{12}) \(([^)]*)\)/,
    (_, mac: string, vendor: string) =>
      /^0+$/.test(mac)
        ? "NetBIOS MAC: <unknown> (unknown)"
        : `NetBIOS MAC: ${mac.match(/../g)!.join(":")} (${vendor})`,
  );
}
