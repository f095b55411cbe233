/**
 * Typed failures of the OS edge. Each carries the library's own words
 * (`pcap_geterr`, `pcap_statustostr`, `strerror`) and, where there is one, a
 * `hint` naming the fix, so the CLI can print one sentence and exit.
 *
 * @module
 */

/** A libpcap failure: loading the library, opening, filtering, sending. */
export class PcapError extends Error {
  /** The libpcap call that failed, e.g. "pcap_activate". */
  readonly operation: string;
  /** libpcap's status code (PCAP_ERROR_*), when the call returned one. */
  readonly status?: number;
  /** How to fix it, when known ("run as root", "install libpcap0.8"). */
  readonly hint?: string;

  constructor(operation: string, message: string, opts: { status?: number; hint?: string } = {}) {
    super(message);
    this.name = "PcapError";
    this.operation = operation;
    this.status = opts.status;
    this.hint = opts.hint;
  }
}

/** A failing libc call (socket, bind, sendmmsg, netlink). */
export class OsError extends Error {
  readonly operation: string;
  /** errno value. */
  readonly errno: number;
  /** Symbolic errno name ("EPERM"), or "E<n>" when unknown. */
  readonly code: string;
  readonly hint?: string;

  constructor(operation: string, errno: number, detail: string, hint?: string) {
    super(`${operation}: ${detail}`);
    this.name = "OsError";
    this.operation = operation;
    this.errno = errno;
    this.code = ERRNO_NAMES[errno] ?? `E${errno}`;
    this.hint = hint;
  }
}

/** Deno was started without a permission this needs (e.g. --allow-ffi). */
export class PermissionMissingError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.name = "PermissionMissingError";
    this.hint = hint;
  }
}

/** Linux errno names for the values these calls return. */
export const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  4: "EINTR",
  6: "ENXIO",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  16: "EBUSY",
  19: "ENODEV",
  22: "EINVAL",
  24: "EMFILE",
  90: "EMSGSIZE",
  93: "EPROTONOSUPPORT",
  95: "EOPNOTSUPP",
  97: "EAFNOSUPPORT",
  100: "ENETDOWN",
  101: "ENETUNREACH",
  105: "ENOBUFS",
};

/** The fix for missing raw-socket privileges, worded once. */
export const RAW_PRIVILEGE_HINT =
  "run as root, or grant the capabilities: setcap cap_net_raw,cap_net_admin+eip <deno binary>";

/** The fix for a missing libpcap. */
export const LIBPCAP_HINT =
  "install libpcap (Debian/Ubuntu: apt-get install libpcap0.8), or give its path with --libpcap";

/** The fix for running out of file descriptors (EMFILE). */
export const FD_LIMIT_HINT = "too low an open-files limit; raise it, e.g. ulimit -n 1024";

/** The fix for a missing FFI permission. */
export const FFI_HINT = "run Deno with --allow-ffi";

/** One sentence for the user from any error thrown by this folder. */
export function describeError(err: unknown): string {
  if (err instanceof PcapError || err instanceof OsError || err instanceof PermissionMissingError) {
    return err.hint ? `${err.message} (${err.hint})` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
