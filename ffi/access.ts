/**
 * Can this process send and capture raw frames? The CLI asks once and, when
 * the answer is no, falls back to a connect scan the way nmap does for
 * unprivileged users, printing the one-sentence reason.
 *
 * @module
 */

import {
  AF_PACKET,
  EACCES,
  EPERM,
  errno,
  ffiGranted,
  libc,
  SOCK_CLOEXEC,
  SOCK_RAW,
  strerror,
} from "./_libc.ts";
import { libpcap } from "./_libpcap.ts";
import { describeError, PcapError, RAW_PRIVILEGE_HINT } from "./errors.ts";
import { Arphrd, interfaces, type NetInterface } from "./interfaces.ts";

/** Yes, or no with the reason and the fix in one sentence. */
export type Access = { ok: true } | { ok: false; reason: string };

let cached: Access | undefined;

/** Checks, in order: Deno's FFI permission, libpcap, and the privilege to
 * open a packet socket (root or CAP_NET_RAW). The answer is cached. */
export function rawAccess(): Access {
  cached ??= probe();
  return cached;
}

function probe(): Access {
  if (!ffiGranted()) {
    return { ok: false, reason: "raw packets need Deno's FFI permission: run with --allow-ffi" };
  }
  try {
    libpcap();
  } catch (e) {
    return {
      ok: false,
      reason: e instanceof PcapError && e.hint ? `${e.message}: ${e.hint}` : describeError(e),
    };
  }
  if (Deno.build.os !== "linux") return { ok: true };
  try {
    const c = libc();
    const fd = c.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      const e = errno();
      if (e === EPERM || e === EACCES) {
        return { ok: false, reason: `raw sockets need root or CAP_NET_RAW: ${RAW_PRIVILEGE_HINT}` };
      }
      return { ok: false, reason: `cannot open a packet socket: ${strerror(e)}` };
    }
    c.close(fd);
  } catch (e) {
    return { ok: false, reason: describeError(e) };
  }
  return { ok: true };
}

/** Forgets the cached answer (tests; after privileges change). */
export function resetRawAccess(): void {
  cached = undefined;
}

/** Link types whose frames Porthole can build and parse. */
const SUPPORTED_ARPHRD = new Set<number>([
  Arphrd.ETHER,
  Arphrd.LOOPBACK,
  Arphrd.NONE,
  Arphrd.PPP,
  Arphrd.TUNNEL,
  Arphrd.TUNNEL6,
  Arphrd.SIT,
  Arphrd.IPGRE,
]);

/** Can frames be sent and captured on this interface? Says which is
 * missing: the interface, its up state, or support for its link type. */
export function interfaceAccess(name: string, list: NetInterface[] = interfaces()): Access {
  const i = list.find((x) => x.name === name);
  if (!i) {
    return { ok: false, reason: `there is no interface named ${name}: list them with --iflist` };
  }
  if (!i.up) {
    return {
      ok: false,
      reason: `interface ${name} is down: bring it up with "ip link set ${name} up"`,
    };
  }
  if (!SUPPORTED_ARPHRD.has(i.arphrd)) {
    return {
      ok: false,
      reason:
        `interface ${name} has link type ${i.arphrd}, which Porthole cannot frame: choose an Ethernet, loopback or IP tunnel interface with -e`,
    };
  }
  return { ok: true };
}
