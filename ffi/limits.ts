/**
 * The process's file-descriptor limit (RLIMIT_NOFILE) and how much of it is
 * taken, so that the connect-based scanners can size their parallelism to
 * what the process may still open.
 *
 * @module
 */

import { ffiGranted, libc } from "./_libc.ts";

/** RLIMIT_NOFILE on Linux (x86, Arm, RISC-V; not MIPS or SPARC, where it is 5 and 6). */
const RLIMIT_NOFILE = 7;
const F_GETFD = 1;
/**
 * Limits above this are not counted through (a few ms per thousand): there
 * is room for any parallelism Porthole uses beside what the runtime holds.
 */
const COUNT_UP_TO = 4096;

/** The soft limit on open files and how many descriptors below it are open now. */
export interface DescriptorUse {
  /** getrlimit(RLIMIT_NOFILE)'s soft limit: every descriptor number is below it. */
  limit: number;
  /** Descriptors open below the limit (not counted, 0, when the limit is above 4096). */
  open: number;
}

/**
 * The descriptor limit and use, read through libc (getrlimit, and fcntl
 * F_GETFD on every number below the limit); undefined without --allow-ffi
 * or off Linux, where the caller has to learn the limit by running into it.
 */
export function descriptorUse(): DescriptorUse | undefined {
  if (Deno.build.os !== "linux" || !ffiGranted()) return undefined;
  const c = libc();
  const rl = new BigUint64Array(2); // struct rlimit { rlim_t cur, max; }
  if (c.getrlimit(RLIMIT_NOFILE, new Uint8Array(rl.buffer)) !== 0) return undefined;
  // RLIM_INFINITY is all ones.
  const limit = rl[0]! >= BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(rl[0]!);
  if (limit > COUNT_UP_TO) return { limit, open: 0 };
  let open = 0;
  for (let fd = 0; fd < limit; fd++) if (c.fcntl(fd, F_GETFD, 0) >= 0) open++;
  return { limit, open };
}
