/**
 * What nmap's `http-server-header` script (NSE category "version", run by
 * every -sV at intensity 7 or more) does to a likely-HTTP port that no match
 * line named: it takes the Server header from the replies the probes got (or
 * from a GET of its own), and reports the port as "http" with that header as
 * the product, soft-matched (so the fingerprint is still printed).
 *
 * The script's own output line ("|_http-server-header: ...") is not part of
 * the result model; only its effect on the service fields is reproduced.
 */

import type { PortResult, ServiceInfo } from "../model/mod.ts";
import { type Channel, connectTcp, connectTls, type Endpoint } from "./conn.ts";
import { sanitizeField } from "./fingerprint.ts";
import { FIELD_LEN } from "./template.ts";

/** shortport.LIKELY_HTTP_PORTS. */
export const LIKELY_HTTP_PORTS = new Set([
  80,
  443,
  631,
  7080,
  8080,
  8443,
  8088,
  5800,
  3872,
  8180,
  8000,
]);
/** shortport.LIKELY_HTTP_SERVICES. */
export const LIKELY_HTTP_SERVICES = new Set([
  "http",
  "https",
  "ipp",
  "http-alt",
  "https-alt",
  "vnc-http",
  "oem-agent",
  "soap",
  "http-proxy",
  "caldav",
  "carddav",
  "webdav",
]);
/** shortport.LIKELY_SSL_PORTS, for comm.tryssl's choice of TLS first. */
const LIKELY_SSL_PORTS = new Set([
  261,
  271,
  322,
  324,
  443,
  465,
  563,
  585,
  636,
  853,
  989,
  990,
  992,
  993,
  994,
  995,
  2221,
  2252,
  2376,
  2482,
  3269,
  3389,
  4433,
  4740,
  4911,
  5061,
  5349,
  5986,
  6380,
  16379,
  6514,
  6679,
  6697,
  8443,
  9001,
  8883,
  11712,
]);
const LIKELY_SSL_SERVICES = new Set([
  "ftps",
  "ftps-data",
  "ftps-control",
  "https",
  "https-alt",
  "imaps",
  "ircs",
  "ldapssl",
  "ms-wbt-server",
  "pop3s",
  "sip-tls",
  "smtps",
  "telnets",
  "tor-orport",
]);

/** The probes whose recorded replies the script reads, in its order. */
export const SCRIPT_PROBES = [
  "GetRequest",
  "GenericLines",
  "HTTPOptions",
  "FourOhFourRequest",
  "NULL",
  "RTSPRequest",
  "Help",
  "SIPOptions",
];

/** The script's portrule: a likely HTTP port or service, open or open|filtered, TCP, intensity >= 7. */
export function scriptApplies(port: PortResult, intensity: number): boolean {
  if (intensity < 7 || port.protocol !== "tcp") return false;
  if (port.state !== "open" && port.state !== "open|filtered") return false;
  return LIKELY_HTTP_PORTS.has(port.port) || LIKELY_HTTP_SERVICES.has(port.service?.name ?? "");
}

/**
 * The Server header of an HTTP response, "" when the header is empty,
 * undefined when there is none, null when the text is not an HTTP response.
 * (Lua: `^HTTP/1.[01] %d%d%d` then `\n[Ss][Ee][Rr][Vv][Ee][Rr]:[ \t]*(.-)\r?\n`.)
 */
export function serverHeader(response: string): string | undefined | null {
  if (!/^HTTP\/1.[01] \d\d\d/.test(response)) return null;
  const m = /\n[Ss][Ee][Rr][Vv][Ee][Rr]:[ \t]*(.*?)\r?\n/s.exec(response);
  return m ? m[1]! : undefined;
}

const latin1 = (b: Uint8Array) => {
  let s = "";
  for (const c of b) s += String.fromCharCode(c);
  return s;
};

/** Sends `data` and returns the first reply bytes (comm.opencon + receive), or null. */
async function ask(chan: Channel, data: Uint8Array, timeoutMs: number): Promise<string | null> {
  try {
    await chan.write(data);
    const ev = await chan.next(performance.now() + timeoutMs);
    return ev.kind === "data" ? latin1(ev.data) : null;
  } finally {
    chan.close();
  }
}

/** comm.tryssl: TLS first on likely-TLS ports, else plain first; the other if that fails. */
async function tryssl(
  ep: Endpoint,
  port: PortResult,
  request: string,
  timeoutMs: number,
): Promise<string | null> {
  const data = Uint8Array.from(request, (c) => c.charCodeAt(0));
  const sslFirst = port.service?.tunnel === "ssl" || LIKELY_SSL_PORTS.has(port.port) ||
    LIKELY_SSL_SERVICES.has(port.service?.name ?? "");
  for (const useTls of sslFirst ? [true, false] : [false, true]) {
    try {
      const chan = useTls ? await connectTls(ep, timeoutMs) : await connectTcp(ep, timeoutMs);
      const r = await ask(chan, data, timeoutMs);
      if (r !== null) return r;
    } catch {
      // try the other way
    }
  }
  return null;
}

/**
 * Runs the script's logic for one port whose probing ended without a match
 * (confidence <= 3). `recorded` holds the probe replies as the fingerprint
 * recorded them. Returns the new service info, or undefined for no change.
 */
export async function httpServerHeader(
  port: PortResult,
  recorded: ReadonlyMap<string, Uint8Array>,
  ep: Endpoint,
  hostName: string,
  timeoutMs = 5000,
): Promise<ServiceInfo | undefined> {
  const s = port.service;
  if (s && (s.product !== undefined || s.confidence > 3)) return undefined;
  const responses: string[] = [];
  if (s?.fingerprint) {
    for (const p of SCRIPT_PROBES) {
      const r = recorded.get(p);
      if (r) responses.push(latin1(r));
    }
  } else {
    const r = await tryssl(ep, port, "GET / HTTP/1.0\r\n\r\n", timeoutMs);
    if (r === null) return undefined;
    responses.push(r);
  }
  const withHost = await tryssl(ep, port, `GET / HTTP/1.1\r\nHost: ${hostName}\r\n\r\n`, timeoutMs);
  if (withHost !== null) responses.push(withHost);
  for (const r of responses) {
    const server = serverHeader(r);
    if (server === null) continue;
    // The first HTTP reply decides; the script then marks the port soft-matched.
    const out: ServiceInfo = {
      ...(s ?? { name: "http", method: "table", confidence: 3 }),
      name: "http",
      method: "probed",
      confidence: 10,
    };
    const product = sanitizeField(server, FIELD_LEN);
    if (product !== undefined) out.product = product;
    return out;
  }
  return undefined;
}
