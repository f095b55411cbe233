/**
 * --proxies URL[,URL…]: the chain TCP connections go through, as nmap's nsock reads it
 * (nsock_proxy.c): `http://host[:port]` (CONNECT, default port 8080) and `socks4://host[:port]`
 * (default 1080), schemes in any case, IPv6 hosts in brackets, no `user:pass@`. What follows the
 * authority (a path) is ignored, as nmap ignores it. Rules against other options are in
 * {@link applyProxyRules}.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import type { ParseState } from "./state.ts";
import type { ProxyHop } from "./types.ts";

const DEFAULT_PORT: Record<ProxyHop["kind"], number> = { http: 8080, socks4: 1080 };

/** One URL of the chain, or the reason it is not one. */
export function parseProxyUrl(url: string): ProxyHop | string {
  const m = /^(http|socks4):\/\/(.*)$/i.exec(url);
  if (!m) return "the protocol must be http:// or socks4://";
  const kind = m[1]!.toLowerCase() as ProxyHop["kind"];
  const authority = m[2]!.replace(/[/?#].*$/s, "");
  if (authority.includes("@")) return "user:pass@ is not supported (proxies without a login only)";
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(authority);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (authority.startsWith("[")) {
    return "an IPv6 address needs its closing ]";
  } else {
    const colon = authority.lastIndexOf(":");
    host = colon > 0 ? authority.slice(0, colon) : authority;
    portText = colon > 0 ? authority.slice(colon + 1) : undefined;
    if (host.includes(":")) return "an IPv6 address must be in brackets: [ADDRESS]:PORT";
  }
  try {
    host = decodeURIComponent(host);
  } catch {
    return "bad %-encoding in the host";
  }
  if (host === "") return "no host";
  let port = DEFAULT_PORT[kind];
  if (portText !== undefined && portText !== "") {
    if (!/^\d{1,5}$/.test(portText) || +portText < 1 || +portText > 65535) {
      return `bad port "${portText}" (1-65535)`;
    }
    port = +portText;
  }
  if (kind === "socks4" && host.includes(":")) return "SOCKS4 proxies have IPv4 addresses only";
  return { kind, host, port };
}

/** --proxies: every URL of the chain, or nmap's fatal with the URL and why. */
export function parseProxyChain(arg: string): ProxyHop[] {
  return arg.split(",").map((url) => {
    const hop = parseProxyUrl(url);
    if (typeof hop === "string") fatal(`Invalid proxy chain specification "${url}": ${hop}`);
    return hop;
  });
}

/**
 * What --proxies does to the rest of the command line (run from validate.ts): the port scan
 * defaults to -sT, host discovery is skipped unless a -P option asks for it (its probes cannot
 * go through a proxy), and raw scans are warned about, since they still go straight to the
 * targets. SOCKS4 carries IPv4 addresses only.
 */
export function applyProxyRules(s: ParseState): void {
  const { o } = s;
  if (!o.proxies) return;
  if (o.ipv6 && o.proxies.some((h) => h.kind === "socks4")) {
    fatal("SOCKS4 proxies relay IPv4 only: use http:// proxies with -6");
  }
  if (o.discovery.pingOnly || o.listScan) return;
  if (o.scans.length === 0) o.scans = ["connect"];
  if (!o.discovery.explicit) o.discovery.skip = true;
  const direct = o.scans.filter((k) => k !== "connect");
  if (direct.length > 0) {
    s.warnings.push(
      "WARNING: --proxies relays connect-based work only (-sT, -sV, scripts); " +
        "the other scan types' packets go to the targets directly.",
    );
  }
}
