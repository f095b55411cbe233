/**
 * Finds and loads libpcap: PORTHOLE_LIBPCAP if set, else the usual names
 * (Debian ships only `libpcap.so.0.8` without the -dev package; Fedora and
 * source builds have `libpcap.so.1`; macOS `libpcap.A.dylib`).
 *
 * @module
 */

import { FFI_HINT, LIBPCAP_HINT, PcapError, PermissionMissingError } from "./errors.ts";
import { ffiGranted } from "./_libc.ts";

const SYMBOLS = {
  pcap_lib_version: { parameters: [], result: "pointer" },
  pcap_findalldevs: { parameters: ["buffer", "buffer"], result: "i32" },
  pcap_freealldevs: { parameters: ["pointer"], result: "void" },
  pcap_create: { parameters: ["buffer", "buffer"], result: "pointer" },
  pcap_set_snaplen: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_promisc: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_immediate_mode: { parameters: ["pointer", "i32"], result: "i32", optional: true },
  pcap_set_timeout: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_buffer_size: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_activate: { parameters: ["pointer"], result: "i32" },
  pcap_geterr: { parameters: ["pointer"], result: "pointer" },
  pcap_statustostr: { parameters: ["i32"], result: "pointer" },
  pcap_datalink: { parameters: ["pointer"], result: "i32" },
  pcap_list_datalinks: { parameters: ["pointer", "buffer"], result: "i32" },
  pcap_free_datalinks: { parameters: ["pointer"], result: "void" },
  pcap_set_datalink: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_datalink_val_to_name: { parameters: ["i32"], result: "pointer" },
  pcap_compile: { parameters: ["pointer", "buffer", "buffer", "i32", "u32"], result: "i32" },
  pcap_setfilter: { parameters: ["pointer", "buffer"], result: "i32" },
  pcap_freecode: { parameters: ["buffer"], result: "void" },
  pcap_setnonblock: { parameters: ["pointer", "i32", "buffer"], result: "i32" },
  pcap_getnonblock: { parameters: ["pointer", "buffer"], result: "i32" },
  pcap_setdirection: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_next_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  pcap_dispatch: { parameters: ["pointer", "i32", "function", "pointer"], result: "i32" },
  pcap_breakloop: { parameters: ["pointer"], result: "void" },
  pcap_sendpacket: { parameters: ["pointer", "buffer", "i32"], result: "i32" },
  pcap_inject: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  pcap_stats: { parameters: ["pointer", "buffer"], result: "i32" },
  pcap_get_selectable_fd: { parameters: ["pointer"], result: "i32" },
  pcap_close: { parameters: ["pointer"], result: "void" },
  /** libc's memcpy, found through libpcap's own dependencies (dlsym on a
   * library handle searches them): copies a captured frame by address
   * without creating pointer objects or subarrays per frame. */
  memcpy: { parameters: ["usize", "usize", "usize"], result: "usize", optional: true },
} as const;

/** The loaded libpcap symbols. */
export type LibPcap = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** Library names tried in order when PORTHOLE_LIBPCAP is not set. */
export function libpcapCandidates(): string[] {
  return Deno.build.os === "darwin"
    ? ["libpcap.A.dylib", "libpcap.dylib", "/usr/lib/libpcap.A.dylib"]
    : ["libpcap.so.1", "libpcap.so.0.8", "libpcap.so"];
}

let loaded: { lib: Deno.DynamicLibrary<typeof SYMBOLS>; path: string } | undefined;

function envOverride(): string | undefined {
  try {
    const q = Deno.permissions.querySync({ name: "env", variable: "PORTHOLE_LIBPCAP" });
    if (q.state !== "granted") return undefined;
    return Deno.env.get("PORTHOLE_LIBPCAP") || undefined;
  } catch {
    return undefined;
  }
}

/** libpcap, loaded on first use; throws PcapError (library missing) or
 * PermissionMissingError (no --allow-ffi) with the fix. */
export function libpcap(): LibPcap {
  return loadLibpcap().lib.symbols;
}

/** Which file was loaded (e.g. "libpcap.so.0.8"). */
export function libpcapPath(): string {
  return loadLibpcap().path;
}

function loadLibpcap(): { lib: Deno.DynamicLibrary<typeof SYMBOLS>; path: string } {
  if (loaded) return loaded;
  if (!ffiGranted()) {
    throw new PermissionMissingError("packet capture needs Deno's FFI permission", FFI_HINT);
  }
  const override = envOverride();
  const names = override ? [override] : libpcapCandidates();
  const failures: string[] = [];
  for (const name of names) {
    try {
      loaded = { lib: Deno.dlopen(name, SYMBOLS), path: name };
      return loaded;
    } catch (e) {
      failures.push(`${name}: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
    }
  }
  throw new PcapError(
    "dlopen",
    override
      ? `cannot load libpcap from PORTHOLE_LIBPCAP=${override} (${failures[0]})`
      : `libpcap not found (tried ${names.join(", ")})`,
    { hint: LIBPCAP_HINT },
  );
}

/** libpcap's version string, e.g. "libpcap version 1.10.3 (with TPACKET_V3)". */
export function libpcapVersion(): string {
  const p = libpcap().pcap_lib_version();
  return p ? Deno.UnsafePointerView.getCString(p) : "unknown";
}
