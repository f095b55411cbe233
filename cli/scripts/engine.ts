/**
 * Porthole's NSE engine: nmap's scripts run in a wasmoon Lua VM (docs/nse-vm.md) that sees the
 * host only through the functions below. Lua's own io/os work on the VM's in-memory file system;
 * scripts and nselib are read here from the directories the engine was given, files are written
 * only under `writeDir` (write_dir.ts), sockets reach only the scan's targets unless `anyAddress`
 * is set.
 */
import { RUNTIME_LUA } from "./runtime_lua.ts";
import { newLuaEngine } from "./lua_vm.ts";
import { nodeNet, type NseConn, type NseNet } from "./net.ts";
import type { ScriptElem } from "../model/mod.ts";
import { parseIp } from "../../core-wasm/addr.ts";
import { BUILTIN_LIBS } from "./_builtin_scripts.ts";
import { OPENSSL_LUA, opensslHost } from "./openssl.ts";
import { PCRE_LUA, pcreHost } from "./pcre.ts";
import { LPEG_LUA } from "./lpeg.ts";
import { ZLIB_LUA, zlibHost } from "./zlib.ts";
import { LFS_LUA, lfsHost } from "./lfs.ts";
import { certificateFields } from "./x509.ts";
import { macVendor } from "../mac_vendors.ts";
import { ScriptWriteDir } from "./write_dir.ts";

export interface NseOptions {
  /** Directories holding nselib/ and scripts' data (nmap's data directory). */
  dataDirs: string[];
  verbosity?: number;
  debugging?: number;
  privileged?: boolean;
  /** --script-timeout in milliseconds; 0 for none. */
  scriptTimeoutMs?: number;
  /** Addresses scripts may connect to (the scan's targets). */
  targets: Set<string>;
  /** --version-intensity, which some portrules read. */
  versionIntensity?: number;
  /** The -T template, 0..5 (nmap.timing_level(): scripts' timeouts follow it). */
  timing?: number;
  /** The scan's address family (nmap.address_family(): "inet" or "inet6"). */
  family?: 4 | 6;
  /** --max-parallelism: script threads holding sockets at once (0: nmap's 20). */
  maxParallelism?: number;
  /** Lets scripts connect anywhere (an explicit user choice). */
  anyAddress?: boolean;
  net?: NseNet;
  /** --script-trace: where nmap's "NSE: TCP a:p > b:q | …" lines go (one call a line). */
  trace?: (line: string) => void;
  /** Where the engine's debug lines go (nmap shows them with -d). */
  log?: (line: string) => void;
  /** --datadir: where nmapdb.mac2corp looks for nmap-mac-prefixes first (data_files.ts). */
  datadir?: string;
  /** --script-write-dir: the one directory scripts may write under; none: no writes. */
  writeDir?: string;
}

/** One script's output, as nmap prints and writes it. */
export interface ScriptResult {
  id: string;
  rule: string;
  host?: string;
  port?: number;
  protocol?: string;
  /** The text nmap prints after "id: ". */
  output: string;
  /** The structured output, when the script returned a table. */
  elems?: ScriptElem[];
}

/** Reads the runtime's flat element list (runtime_lua.ts: format_elems) back into a tree. */
export function parseElems(flat: string): ScriptElem[] {
  const dec = new TextDecoder();
  const text = (h: string) => dec.decode(unhex(h));
  const root: ScriptElem[] = [];
  const stack: ScriptElem[][] = [root];
  for (const line of flat.split("\n")) {
    const [kind, key, value] = line.split(" ");
    const top = stack[stack.length - 1]!;
    const k = key && key !== "-" ? { key: text(key) } : {};
    if (kind === "t") {
      const table: ScriptElem[] = [];
      top.push({ ...k, table });
      stack.push(table);
    } else if (kind === "e") {
      top.push({ ...k, value: text(value ?? "") });
    } else if (kind === "/" && stack.length > 1) {
      stack.pop();
    }
  }
  return root;
}

/** A port as scripts see it (nmap's port table). */
export interface NsePort {
  number: number;
  protocol: string;
  state: string;
  service?: string;
  product?: string;
  version?: string;
  extrainfo?: string;
  tunnel?: string;
  /** nmap's name_confidence: 3 when the name comes from the port number, 10 when probed. */
  confidence?: number;
  /** nmap's service_dtype: "table" (the name from the port number) or "probed" (-sV). */
  method?: "table" | "probed";
}

/** What a script's nmap.set_port_version said a port's service is (nse_nmaplib.cc). */
export interface ServiceUpdate {
  host: string;
  port: number;
  protocol: string;
  /** hardmatched, softmatched, nomatch, tcpwrapped or incomplete. */
  probestate: string;
  name?: string;
  product?: string;
  version?: string;
  extrainfo?: string;
  hostname?: string;
  ostype?: string;
  devicetype?: string;
  tunnel: string;
  cpe: string[];
}

export interface LoadedScript {
  id: string;
  categories: string[];
  dependencies: string[];
  rules: string[];
  description: string;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** nmap's C modules that Porthole has, as Lua over the host functions (runtime_lua.ts). */
const C_MODULES = {
  openssl: OPENSSL_LUA,
  pcre: PCRE_LUA,
  zlib: ZLIB_LUA,
  lpeg: LPEG_LUA,
  lfs: LFS_LUA,
};

/** Bytes for Lua: valid UTF-8 without NUL as text ("t…"), anything else as hex ("h…"). */
function wire(b: Uint8Array): string {
  if (!b.includes(0)) {
    try {
      return "t" + strictUtf8.decode(b);
    } catch { /* not UTF-8 */ }
  }
  return "h" + hex(b);
}
const unwire = (
  w: string,
) => (w[0] === "t" ? new TextEncoder().encode(w.slice(1)) : unhex(w.slice(1)));

/** An address as nmap's host.bin_ip: 4 or 16 bytes. */
function binIp(ip: string): Uint8Array {
  return parseIp(ip)?.bytes ?? new Uint8Array(4);
}

/**
 * nmap's hexify() for --script-trace: the bytes as text when 95% of them are printable, else a
 * hex dump of 16 bytes a row ("00000000: 47 45 … GE…"). Bytes come back one char each (latin-1);
 * the terminal writer escapes what is not printable.
 */
export function traceData(b: Uint8Array): string {
  const printable = b.filter((c) => c >= 0x20 && c <= 0x7e).length;
  if (b.length > 0 && printable / b.length >= 0.95) return String.fromCharCode(...b);
  let out = "";
  for (let i = 0; i < b.length; i += 16) {
    out += i.toString(16).padStart(8, "0") + ": ";
    for (let j = i; j < i + 16; j++) {
      out += j < b.length ? b[j]!.toString(16).padStart(2, "0") + " " : "   ";
    }
    for (let j = i; j < i + 16 && j < b.length; j++) {
      out += b[j]! > 0x20 && b[j]! <= 0x7e ? String.fromCharCode(b[j]!) : " ";
    }
    out += "\n";
  }
  return out;
}

export class NseEngine {
  #opts: NseOptions;
  // deno-lint-ignore no-explicit-any
  #lua: any;
  #crypto!: typeof import("node:crypto");
  #zlib!: typeof import("node:zlib");
  #zlibVersion = "";
  #net: NseNet;
  #writeDir: ScriptWriteDir;
  #ops = new Map<number, Promise<Record<string, unknown>>>();
  #done: Record<string, unknown>[] = [];
  #conns = new Map<number, NseConn>();
  /** --script-trace: each socket's "TCP lhost:lport", "rhost:rport" and protocol. */
  #traced = new Map<number, { proto: string; local: string; remote: string }>();
  #nextId = 1;
  #operations = 0;
  #results: ScriptResult[] = [];
  #serviceUpdates: ServiceUpdate[] = [];
  #t0 = performance.now();
  scripts: LoadedScript[] = [];

  private constructor(opts: NseOptions) {
    this.#opts = opts;
    this.#net = opts.net ?? nodeNet;
    this.#writeDir = new ScriptWriteDir(opts.writeDir, opts.dataDirs);
  }

  static async create(opts: NseOptions): Promise<NseEngine> {
    const e = new NseEngine(opts);
    e.#lua = await newLuaEngine();
    // node:crypto loads on first use: a static node: import would sit at the bundle's top.
    e.#crypto = await import("node:crypto");
    e.#zlib = await import("node:zlib");
    e.#zlibVersion = (await import("node:process")).default.versions.zlib ?? "";
    e.#lua.global.set("host", e.#hostFunctions());
    const init = e.#lua.global.get("load")(RUNTIME_LUA, "=porthole-nse");
    init(e.#lua.global.get("host"));
    for (const [name, src] of Object.entries(C_MODULES)) e.#call("add_c_module", name, src);
    // The library of Porthole's built-in scripts (builtin/*.lua), under names nselib does not use.
    for (const [name, src] of Object.entries(BUILTIN_LIBS)) {
      e.#lua.global.set("PH_LIB_SRC", src);
      await e.#lua.doString(
        `local src = PH_LIB_SRC; PH_LIB_SRC = nil
         package.preload[${JSON.stringify(name)}] = function(...) return assert(load(src, ${
          JSON.stringify(`=${name}`)
        }))(...) end`,
      );
    }
    return e;
  }

  /** One --script-trace line, as nmap's nse_nsock.cc trace(). */
  #trace(sock: number, dir: ">" | "<", message: string): void {
    const t = this.#traced.get(sock);
    if (!t || !this.#opts.trace) return;
    this.#opts.trace(`NSE: ${t.proto} ${t.local} ${dir} ${t.remote} | ${message}`);
  }

  #log(level: number, msg: string): void {
    if ((this.#opts.debugging ?? 0) >= level) this.#opts.log?.(`NSE: ${msg}`);
  }

  /** A file under one of the data directories, never outside them. */
  #readData(rel: string): Uint8Array | undefined {
    if (rel.startsWith("/") || rel.split("/").includes("..")) return undefined;
    for (const dir of this.#opts.dataDirs) {
      try {
        return Deno.readFileSync(`${dir}/${rel}`);
      } catch { /* next directory */ }
    }
    return undefined;
  }

  /** A file by the path fetchfile gave: only inside a data directory, never through "..". */
  #readAbsolute(path: string): Uint8Array | undefined {
    if (path.split("/").includes("..")) return undefined;
    for (const dir of this.#opts.dataDirs) {
      if (path.startsWith(`${dir.replace(/\/$/, "")}/`)) {
        try {
          return Deno.readFileSync(path);
        } catch {
          return undefined;
        }
      }
    }
    return this.#readData(path);
  }

  /** A file under --script-write-dir, which scripts may read back. */
  #readWritten(path: string): Uint8Array | undefined {
    const real = this.#writeDir.readable(path);
    if (real === undefined) return undefined;
    try {
      return Deno.readFileSync(real);
    } catch {
      return undefined;
    }
  }

  /** Host operations (socket calls, sleeps) the scripts started so far: what tests count. */
  get operations(): number {
    return this.#operations;
  }

  #start(kind: string, ...args: unknown[]): number {
    this.#operations++;
    const id = this.#nextId++;
    const p = this.#op(kind, args).then(
      (r) => ({ id, ok: true, ...r }),
      (e) => ({ id, ok: false, err: e instanceof Error ? e.message : String(e) }),
    );
    this.#ops.set(id, p);
    p.then((r) => {
      this.#ops.delete(id);
      this.#done.push(r);
    });
    return id;
  }

  async #op(kind: string, a: unknown[]): Promise<Record<string, unknown>> {
    if (kind === "sleep") {
      await new Promise((r) => setTimeout(r, Number(a[0])));
      return {};
    }
    if (kind === "mac_vendor") return { vendor: await macVendor(String(a[0]), this.#opts.datadir) };
    if (kind === "connect") {
      const [ip, port, proto, timeout, sni, localPort] = a as [
        string,
        number,
        string,
        number,
        string?,
        number?,
      ];
      if (!this.#opts.anyAddress && !this.#opts.targets.has(ip)) {
        this.#log(1, `connection to ${ip} refused: not a target of this scan`);
        throw new Error("ERROR: not a target of this scan");
      }
      const conn = await this.#net.connect(
        ip,
        port,
        proto,
        timeout,
        sni ?? undefined,
        localPort ?? undefined,
      );
      const sock = this.#nextId++;
      this.#conns.set(sock, conn);
      if (this.#opts.trace) {
        const { lhost, lport, rhost, rport } = conn.info;
        const at = (h: string, p: number) => `${h.includes(":") ? `[${h}]` : h}:${p}`;
        this.#traced.set(sock, {
          proto: proto === "udp" ? "UDP" : "TCP",
          local: at(lhost, lport),
          remote: at(rhost, rport),
        });
        this.#trace(sock, ">", "CONNECT");
      }
      return { sock, info: { ...conn.info } };
    }
    const conn = this.#conns.get(Number(a[0]));
    if (!conn) throw new Error("ERROR");
    if (kind === "send") {
      const data = unwire(String(a[1]));
      this.#trace(Number(a[0]), ">", traceData(data));
      await conn.send(data);
      this.#trace(Number(a[0]), ">", "SEND");
      return {};
    }
    if (kind === "starttls") {
      if (!conn.startTls) throw new Error("Error: reconnect_ssl is not available on this socket");
      await conn.startTls(Number(a[1]));
      return {};
    }
    if (kind === "receive") {
      const data = await conn.read(Number(a[1]));
      if (data === null) throw new Error("EOF");
      this.#trace(Number(a[0]), "<", traceData(data));
      return { data: wire(data) };
    }
    throw new Error(`unknown operation ${kind}`);
  }

  /** nmap's certificate table for Lua (runtime_lua.ts: cert_table), byte strings wired. */
  #certTable(der: Uint8Array) {
    let f;
    try {
      f = certificateFields(der, this.#crypto.X509Certificate);
    } catch (e) {
      this.#log(2, `certificate not parsed: ${(e as Error).message}`);
      return undefined;
    }
    const names = (list: typeof f.subject) =>
      list.map((n) => ({ key: n.key, value: wire(n.value) }));
    return { ...f, subject: names(f.subject), issuer: names(f.issuer), der: hex(der) };
  }

  #hostFunctions() {
    const o = this.#opts;
    return {
      options: () => ({
        verbosity: o.verbosity ?? 0,
        debugging: o.debugging ?? 0,
        family: o.family === 6 ? "inet6" : "inet",
        privileged: o.privileged ?? false,
        timing: o.timing ?? 3,
        version_intensity: o.versionIntensity ?? 7,
        max_parallelism: o.maxParallelism ?? 0,
      }),
      log: (level: number, msg: string) => this.#log(level, msg),
      clock_ms: () => Math.floor(performance.now() - this.#t0),
      read_file: (path: string) => {
        const b = this.#readAbsolute(path) ?? this.#readWritten(path);
        return b ? wire(b) : undefined;
      },
      // Files opened for writing (runtime_lua.ts: WFile), only under --script-write-dir.
      file_open: (path: string, mode: string) => {
        const r = this.#writeDir.open(path, mode);
        if (typeof r !== "number") this.#log(1, `io.open refused: ${r.err}`);
        return r;
      },
      file_write: (id: number, data: string) => this.#writeDir.write(id, unwire(data)),
      file_read: (id: number, n: number) => {
        const b = this.#writeDir.read(id, n < 0 ? Infinity : n);
        return b ? wire(b) : undefined;
      },
      file_seek: (id: number, whence: string, offset: number) =>
        this.#writeDir.seek(id, whence, offset),
      file_flush: (id: number) => this.#writeDir.flush(id),
      file_close: (id: number) => this.#writeDir.close(id),
      read_lib: (rel: string) => {
        const b = this.#readData(rel);
        return b ? wire(b) : undefined;
      },
      fetchfile: (rel: string) => {
        const name = rel.replace(/^nselib\//, "");
        for (const dir of o.dataDirs) {
          for (const p of [`${dir}/${rel}`, `${dir}/nselib/${name}`]) {
            try {
              if (!rel.split("/").includes("..") && Deno.statSync(p).isFile) return p;
            } catch { /* next */ }
          }
        }
        return undefined;
      },
      start: (kind: string, ...args: unknown[]) => this.#start(kind, ...args),
      take: () => this.#done.shift(),
      close: (sock: number) => {
        const conn = this.#conns.get(sock);
        conn?.close();
        if (conn) this.#trace(sock, ">", "CLOSE");
        this.#conns.delete(sock);
        this.#traced.delete(sock);
      },
      ...opensslHost(this.#crypto),
      ...pcreHost(unwire),
      ...zlibHost(this.#zlib, this.#zlibVersion, wire, unwire),
      ...lfsHost(this.#writeDir),
      peer_certificate: (sock: number) => {
        const der = this.#conns.get(sock)?.peerCertificate?.();
        return der ? this.#certTable(der) : undefined;
      },
      parse_certificate: (der: string) => this.#certTable(unwire(der)),
      set_port_version: (
        host: string,
        port: number,
        protocol: string,
        probestate: string,
        ...f: (string | undefined)[]
      ) => {
        const [name, product, version, extrainfo, hostname, ostype, devicetype, tunnel, cpe] = f
          .map((x) => x ?? undefined);
        this.#serviceUpdates.push({
          host,
          port,
          protocol,
          probestate,
          name,
          product,
          version,
          extrainfo,
          hostname,
          ostype,
          devicetype,
          tunnel: tunnel ?? "none",
          cpe: cpe ? cpe.split("\n") : [],
        });
      },
      result: (
        id: string,
        rule: string,
        host: string | undefined,
        port: number | undefined,
        protocol: string | undefined,
        output: string,
        elems: string | undefined,
      ) => {
        const dec = new TextDecoder();
        this.#results.push({
          id,
          rule,
          host: host ?? undefined,
          port: port ?? undefined,
          protocol: protocol ?? undefined,
          output: dec.decode(unhex(output)),
          // "" is an empty table (nmap writes it as <script …></script>); undefined is text only.
          elems: typeof elems === "string" ? parseElems(elems) : undefined,
        });
      },
    };
  }

  /** Loads one script file; returns a reason when it cannot run. A script chosen by name sees
   * one more level of verbosity, as in nmap. */
  loadScript(path: string, source: string, byName = false): string | undefined {
    const [info, err] = this.#call(
      "load_script",
      path,
      wire(new TextEncoder().encode(source)),
      byName,
    );
    if (!info) return String(err);
    const r = info as Record<string, string>;
    const split = (s: string) => s ? s.split(",") : [];
    this.scripts.push({
      id: r.id!,
      categories: split(r.categories!),
      dependencies: split(r.dependencies!),
      rules: split(r.rules!),
      description: new TextDecoder().decode(unhex(r.description ?? "")),
    });
    return undefined;
  }

  /** Runs `fn` on a new Lua thread, removed from the main stack afterwards (as wasmoon's own
   * doString does: a thread left there is a stack slot leaked per call). */
  // deno-lint-ignore no-explicit-any
  async #onThread<T>(fn: (thread: any) => T | Promise<T>): Promise<T> {
    const global = this.#lua.global;
    const thread = global.newThread();
    const index = global.getTop();
    try {
      return await fn(thread);
    } finally {
      global.remove(index);
    }
  }

  // deno-lint-ignore no-explicit-any
  #call(name: string, ...args: unknown[]): any[] {
    const global = this.#lua.global;
    const thread = global.newThread();
    const index = global.getTop();
    try {
      thread.loadString(`return ${name}(...)`);
      for (const a of args) thread.pushValue(a);
      const r = thread.resume(args.length);
      thread.assertOk(r.result);
      const out = [];
      for (let i = r.resultCount; i >= 1; i--) out.push(thread.getValue(-i));
      return out;
    } finally {
      global.remove(index);
    }
  }

  /** --script-args: nmap's "k=v,k2={a,b}" syntax into nmap.registry.args; throws on bad syntax. */
  setArgs(text: string): void {
    this.#call("set_args", text);
  }

  /** Adds a scanned host and its ports for the next "host" phase; `times` are the scan's round
   * trip figures in microseconds (the host's srtt, rttvar and timeout), as nmap hands them over. */
  addTarget(
    ip: string,
    name: string,
    ports: NsePort[],
    times?: { srtt: number; rttvar: number; timeout: number },
  ): void {
    const s = (us: number | undefined) => us === undefined ? undefined : us / 1e6;
    this.#call(
      "add_target",
      ip,
      name,
      hex(binIp(ip)),
      s(times?.srtt),
      s(times?.rttvar),
      s(times?.timeout),
    );
    for (const p of ports) {
      this.#call(
        "add_port",
        p.number,
        p.protocol,
        p.state,
        p.service,
        p.product,
        p.version,
        p.extrainfo,
        p.tunnel,
        p.confidence,
        p.method,
      );
    }
  }

  /** Runs the scripts of one phase to their end and returns their outputs. */
  async run(phase: "pre" | "host" | "post"): Promise<ScriptResult[]> {
    this.#results = [];
    await this.#onThread(async (thread) => {
      thread.loadString(`return run_phase(...)`);
      thread.pushValue(phase);
      thread.pushValue(this.#opts.scriptTimeoutMs ?? 0);
      let r = thread.resume(2);
      while (r.result === 1 /* LUA_YIELD */) {
        thread.pop(r.resultCount);
        if (this.#done.length === 0 && this.#ops.size > 0) await Promise.race(this.#ops.values());
        await Promise.resolve(); // let the completion reach #done
        r = thread.resume(0);
      }
      thread.assertOk(r.result);
    });
    return this.#results;
  }

  /** The ports' services that scripts set (nmap.set_port_version) since the last call. */
  takeServiceUpdates(): ServiceUpdate[] {
    const u = this.#serviceUpdates;
    this.#serviceUpdates = [];
    return u;
  }

  close(): void {
    for (const c of this.#conns.values()) c.close();
    this.#writeDir.closeAll();
    this.#conns.clear();
    this.#lua.global.close();
  }
}
