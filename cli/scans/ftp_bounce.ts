/**
 * -b, the FTP bounce scan (nmap's nmap_ftp.cc, written anew): log in to an FTP server that lets
 * PORT name a third host, and for each port say `PORT a,b,c,d,p1,p2` then `LIST`; the server
 * connects to the target for the listing, and its replies tell the port's state. nmap's rules:
 * a 2xx after LIST (or after its 1xx) is open; any other reply is closed; no reply in time is
 * filtered; a 5xx to PORT for a privileged port means the server refuses those (they are skipped,
 * with nmap's message), for another port that it bounces nothing (fatal). The reason is nmap's
 * "no-response", which its bounce scan leaves on every port.
 *
 * Unlike nmap, replies are read as RFC 959 replies (multi-line ones whole, one per command), not
 * by timing, so a slow server never shifts the answers onto the wrong port; and a server still
 * stuck connecting to a filtered port is left: the scan logs in again on a new connection.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import type { EngineContext } from "../engine/context.ts";
import type { ScanHost } from "../engine/host.ts";
import type { FtpRelay } from "../options/types.ts";
import { PortTable } from "./port_table.ts";
import type { ScanListener } from "./probe_scan.ts";
import type { Verdict } from "./tcp_rules.ts";

/** How long nmap waits for the reply to PORT, LIST, and what follows a 1xx to LIST (s). */
const PORT_WAIT_MS = 15_000;
const LIST_WAIT_MS = 12_000;
const LIST_END_WAIT_MS = 10_000;

const OPEN: Verdict = Object.freeze({ state: "open", reason: "no-response" });
const CLOSED: Verdict = Object.freeze({ state: "closed", reason: "no-response" });
const FILTERED: Verdict = Object.freeze({ state: "filtered", reason: "no-response" });

/** One FTP reply (RFC 959 §4.2): its code and its text (every line of a multi-line reply). */
export interface FtpReply {
  code: number;
  text: string;
}

/**
 * Takes the first whole reply off `buf` (the text received so far): the reply and the rest, or
 * null while it is incomplete. A multi-line reply runs from "123-" to a line starting "123 ".
 */
export function takeReply(buf: string): { reply: FtpReply; rest: string } | null {
  let at = 0;
  let first: string | undefined;
  for (;;) {
    const nl = buf.indexOf("\n", at);
    if (nl < 0) return null;
    const line = buf.slice(at, nl).replace(/\r$/, "");
    at = nl + 1;
    if (first === undefined) {
      if (!/^\d{3}[ -]/.test(line) && !/^\d{3}$/.test(line)) continue; // noise before a reply
      first = line;
      if (line[3] !== "-") break;
    } else if (line.startsWith(`${first.slice(0, 3)} `) || line === first.slice(0, 3)) break;
  }
  const text = buf.slice(buf.indexOf(first), at).replace(/\r?\n$/, "");
  return { reply: { code: Number(first.slice(0, 3)), text }, rest: buf.slice(at) };
}

/** A logged-in control connection. */
class Control {
  #conn: Deno.TcpConn;
  #buf = "";
  #closed = false;
  #reading: Promise<number | null> | undefined;
  readonly #chunk = new Uint8Array(4096);

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** The next reply, or null when none came in `ms` (or the server hung up). */
  async reply(ms: number): Promise<FtpReply | null> {
    const deadline = performance.now() + ms;
    for (;;) {
      const got = takeReply(this.#buf);
      if (got) {
        this.#buf = got.rest;
        return got.reply;
      }
      if (this.#closed) return null;
      const left = deadline - performance.now();
      if (left <= 0) return null;
      // A read outlives a timeout: the next call picks it up rather than losing its bytes.
      this.#reading ??= this.#conn.read(this.#chunk).catch(() => null);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.#reading,
        new Promise<"late">((r) => timer = setTimeout(() => r("late"), left)),
      ]);
      clearTimeout(timer);
      if (n === "late") return null;
      this.#reading = undefined;
      if (n === null) {
        this.#closed = true;
        continue;
      }
      this.#buf += new TextDecoder("latin1").decode(this.#chunk.subarray(0, n));
    }
  }

  async send(line: string): Promise<boolean> {
    try {
      const data = new TextEncoder().encode(`${line}\r\n`);
      for (let off = 0; off < data.length;) off += await this.#conn.write(data.subarray(off));
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }
}

/** Connects and logs in to `relay` at `address` (nmap's ftp_anon_connect), or a fatal error. */
async function login(
  relay: FtpRelay,
  address: string,
  ctx: EngineContext,
): Promise<Control> {
  const say = (line: string) => ctx.opts.verbose > 0 && ctx.log.info(line);
  say(`Attempting connection to ftp://${relay.user}:${relay.pass}@${relay.host}:${relay.port}`);
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: address, port: relay.port });
  } catch {
    fatal("Your FTP bounce proxy server won't talk to us!");
  }
  const c = new Control(conn);
  let greeting = await c.reply(PORT_WAIT_MS);
  while (greeting && greeting.code < 200) greeting = await c.reply(PORT_WAIT_MS); // 120: wait
  if (!greeting) fatal("recv problem from FTP bounce server: no greeting");
  say(`Connected:${greeting.text}`);
  if (greeting.code >= 400) fatal(`Your FTP bounce server turned us away: ${greeting.text}`);
  await c.send(`USER ${relay.user}`);
  const user = await c.reply(PORT_WAIT_MS);
  if (!user) fatal("recv problem from FTP bounce server: no reply to USER");
  if (user.code >= 500) fatal(`Your FTP bounce server doesn't like the username "${relay.user}"`);
  if (user.code !== 230) {
    await c.send(`PASS ${relay.pass}`);
    const pass = await c.reply(PORT_WAIT_MS);
    if (!pass || pass.code >= 400) {
      fatal(`Your FTP bounce server refused login combo (${relay.user}/${relay.pass})`);
    }
  }
  say("Login credentials accepted by FTP server!");
  return c;
}

/** PORT's argument for `address` (IPv4) and `port`: a,b,c,d,p1,p2 (RFC 959 §4.1.2). */
export function portArgument(address: string, port: number): string {
  return `${address.split(".").join(",")},${port >> 8},${port & 255}`;
}

/** What one port's PORT and LIST told: a verdict, "privileged" (refused) or "lost" (reconnect). */
async function probePort(
  c: Control,
  address: string,
  port: number,
): Promise<Verdict | "refused" | "lost"> {
  if (!(await c.send(`PORT ${portArgument(address, port)}`))) return "lost";
  const ack = await c.reply(PORT_WAIT_MS);
  if (!ack) return "lost";
  if (ack.code >= 500) return "refused";
  if (ack.code >= 300) return "lost";
  if (!(await c.send("LIST"))) return "lost";
  let r = await c.reply(LIST_WAIT_MS);
  if (!r) return FILTERED; // still connecting: the server is stuck on it, so "lost" follows
  if (r.code < 200) {
    r = await c.reply(LIST_END_WAIT_MS);
    if (!r) return FILTERED;
  }
  // vsftpd ends the session ("500 OOPS: Illegal port request") on a privileged port at LIST.
  if (r.code >= 500 && port < 1024 && /illegal port|privileged|bounce/i.test(r.text)) {
    return "refused";
  }
  return r.code < 300 ? OPEN : CLOSED;
}

/** Bounce-scans `ports` of `hosts` (IPv4) through `relay`; returns the filled PortTable. */
export async function bounceScan(
  ctx: EngineContext,
  relay: FtpRelay,
  hosts: ScanHost[],
  ports: readonly number[],
  listener: ScanListener = {},
): Promise<PortTable> {
  const table = new PortTable(hosts.length, ports, "tcp");
  const address = await relayAddress(relay, ctx);
  let control: Control | undefined;
  let privilegedRefused = false;
  try {
    for (const [h, host] of hosts.entries()) {
      for (const [p, port] of ports.entries()) {
        if (ctx.signal.aborted) return table;
        if (privilegedRefused && port < 1024) continue;
        for (let attempt = 0;; attempt++) {
          control ??= await login(relay, address, ctx);
          const v = await probePort(control, host.address, port);
          if (v === "refused") {
            if (port >= 1024) {
              fatal("Your FTP bounce server sucks, it won't let us feed bogus ports!");
            }
            ctx.log.warn("Your FTP bounce server doesn't allow privileged ports, skipping them.");
            privilegedRefused = true;
            control.close();
            control = undefined;
            break;
          }
          if (v === "lost") {
            control.close();
            control = undefined;
            if (attempt < 2) continue; // nmap's FTP_RETRIES
            ctx.log.warn("Our socket descriptor is dead and we are out of retries. Giving up.");
            return table;
          }
          table.set(h, p, v);
          listener.port?.(host, port, v.state);
          if (v === FILTERED) {
            control.close(); // it may still be connecting: a fresh session for the next port
            control = undefined;
          }
          break;
        }
      }
      listener.hostDone?.(host, h, table, false);
    }
    return table;
  } finally {
    control?.close();
  }
}

/** The relay's IPv4 address (nmap resolves it before the scan: "Resolved FTP bounce …"). */
async function relayAddress(relay: FtpRelay, ctx: EngineContext): Promise<string> {
  let address = relay.host;
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(address)) {
    const { lookup } = await import("node:dns/promises");
    try {
      address = (await lookup(relay.host, { family: 4 })).address;
    } catch {
      fatal(`Failed to resolve FTP bounce proxy hostname/IP: ${relay.host}`);
    }
  }
  if (ctx.opts.verbose > 0) {
    ctx.log.info(`Resolved FTP bounce attack proxy to ${relay.host} (${address}).`);
  }
  return address;
}
