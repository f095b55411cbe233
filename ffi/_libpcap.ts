/**
 * Finds and loads libpcap from the system: its sonames through the dynamic
 * loader's own search (Debian ships only `libpcap.so.0.8` without the -dev
 * package; Fedora and source builds have `libpcap.so.1`; macOS
 * `libpcap.A.dylib`), then the same names in fixed system directories — or
 * from the one file the command line names (`--libpcap PATH`,
 * {@link useLibpcap}). No environment variable chooses it: with `sudo -E`
 * that would run any library as root.
 *
 * @module
 */

import { FFI_HINT, LIBPCAP_HINT, PcapError, PermissionMissingError } from "./errors.ts";
import { ffiGranted } from "./_libc.ts";
import { lazySymbols } from "./_lazy_symbols.ts";

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

/** System directories searched after the loader's own search, most specific first. */
function systemDirs(): string[] {
  if (Deno.build.os === "darwin") return ["/usr/local/lib", "/opt/homebrew/lib", "/usr/lib"];
  const multiarch = `${Deno.build.arch}-linux-gnu`;
  return [
    `/usr/lib/${multiarch}`,
    `/lib/${multiarch}`,
    "/usr/local/lib",
    "/usr/lib64",
    "/lib64",
    "/usr/lib",
    "/lib",
  ];
}

/** Library names and paths tried in order when no --libpcap was given. */
export function libpcapCandidates(): string[] {
  const names = Deno.build.os === "darwin"
    ? ["libpcap.A.dylib", "libpcap.dylib"]
    : ["libpcap.so.1", "libpcap.so.0.8"];
  return [...names, ...systemDirs().flatMap((d) => names.map((n) => `${d}/${n}`))];
}

let loaded: { symbols: LibPcap; path: string } | undefined;
let explicit: string | undefined;

/**
 * Loads libpcap from `path` (the command line's --libpcap) instead of the
 * system's. Call before anything uses libpcap.
 */
export function useLibpcap(path: string): void {
  if (loaded && loaded.path !== path) throw new Error("libpcap is already loaded");
  explicit = path;
}

/** libpcap, loaded on first use; throws PcapError (library missing) or
 * PermissionMissingError (no --allow-ffi) with the fix. */
export function libpcap(): LibPcap {
  return loadLibpcap().symbols;
}

/** Which file was loaded (e.g. "libpcap.so.0.8"). */
export function libpcapPath(): string {
  return loadLibpcap().path;
}

/** The symbol a library must have to be taken for libpcap; the others bind when first called
 * (./_lazy_symbols.ts). */
const PCAP_PROOF = { pcap_create: SYMBOLS.pcap_create };

function loadLibpcap(): { symbols: LibPcap; path: string } {
  if (loaded) return loaded;
  if (!ffiGranted()) {
    throw new PermissionMissingError("packet capture needs Deno's FFI permission", FFI_HINT);
  }
  const names = explicit !== undefined ? [explicit] : libpcapCandidates();
  const failures: string[] = [];
  for (const name of names) {
    try {
      Deno.dlopen(name, PCAP_PROOF);
      loaded = { symbols: lazySymbols(name, SYMBOLS), path: name };
      return loaded;
    } catch (e) {
      failures.push(`${name}: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
    }
  }
  throw new PcapError(
    "dlopen",
    explicit !== undefined
      ? `cannot load libpcap from ${failures[0]}`
      : `libpcap not found (tried ${names.slice(0, 2).join(", ")} and the system library folders)`,
    { hint: LIBPCAP_HINT },
  );
}

/** libpcap's version string, e.g. "libpcap version 1.10.3 (with TPACKET_V3)". */
export function libpcapVersion(): string {
  const p = libpcap().pcap_lib_version();
  return p ? Deno.UnsafePointerView.getCString(p) : "unknown";
}
