import assert from "node:assert/strict";
import { BUILTIN_LIBS, BUILTIN_SCRIPTS } from "./_builtin_scripts.ts";
import { NseEngine, type ScriptResult } from "./engine.ts";
import type { ScriptElem } from "../model/mod.ts";

Deno.test("the built-in scripts carried in Porthole are cli/scripts/builtin/ (else run tools/gen_builtin_scripts.ts)", () => {
  const dir = new URL("builtin/", import.meta.url);
  const files: Record<string, string> = {};
  for (const e of Deno.readDirSync(dir)) {
    files[e.name] = Deno.readTextFileSync(new URL(e.name, dir));
  }
  const carried: Record<string, string> = {};
  for (const [id, src] of Object.entries(BUILTIN_SCRIPTS)) carried[`${id}.nse`] = src;
  for (const [name, src] of Object.entries(BUILTIN_LIBS)) carried[`${name}.lua`] = src;
  assert.deepEqual(carried, files);
  assert.ok("http-title" in BUILTIN_SCRIPTS && "ph_nse" in BUILTIN_LIBS);
});

/** A loopback TCP server answering each connection with `answer(request)`; "" reads nothing. */
function serve(answer: (req: string) => string, readFirst = true) {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  (async () => {
    for await (const c of l) {
      conns.add(c);
      (async () => {
        try {
          let req = "";
          if (readFirst) {
            const buf = new Uint8Array(4096);
            while (!req.includes("\r\n\r\n")) {
              const n = await c.read(buf);
              if (n === null) break;
              req += new TextDecoder().decode(buf.subarray(0, n));
            }
          }
          await c.write(new TextEncoder().encode(answer(req)));
        } catch { /* the client went away */ }
        try {
          c.close();
        } catch { /* closed */ }
        conns.delete(c);
      })();
    }
  })();
  return {
    port: (l.addr as Deno.NetAddr).port,
    close() {
      l.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

/** Runs built-in scripts against 127.0.0.1's given port (as service `service`) on a bare host. */
async function run(ids: string[], port: number, service: string): Promise<ScriptResult[]> {
  const e = await NseEngine.create({ dataDirs: [], targets: new Set(["127.0.0.1"]) });
  try {
    for (const id of ids) {
      assert.equal(e.loadScript(`porthole:builtin/${id}.nse`, BUILTIN_SCRIPTS[id]!), undefined);
    }
    e.addTarget("127.0.0.1", "", [{ number: port, protocol: "tcp", state: "open", service }]);
    return (await e.run("host")).sort((a, b) => a.id < b.id ? -1 : 1);
  } finally {
    e.close();
  }
}

const html = (status: string, headers: string, body: string) =>
  `HTTP/1.1 ${status}\r\n${headers}Content-Length: ${
    new TextEncoder().encode(body).length
  }\r\n\r\n${body}`;

Deno.test({
  name: "built-in http-title and http-server-header: nmap's output on a loopback web server",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = serve((req) =>
      req.startsWith("GET / ")
        ? html("302 Found", "Server: Apache/2.4.7 (Ubuntu)\r\nLocation: /home\r\n", "")
        : html(
          "200 OK",
          "Server: Apache/2.4.7 (Ubuntu)\r\nContent-Type: text/html\r\n",
          "<html><head><TITLE>\n  Go ahead &amp; ScanMe!\n</title></head></html>",
        )
    );
    try {
      const r = await run(["http-title", "http-server-header"], s.port, "http");
      assert.deepEqual(r.map((x) => [x.id, x.output, x.elems]), [
        ["http-server-header", "Apache/2.4.7 (Ubuntu)", [{ value: "Apache/2.4.7 (Ubuntu)" }]],
        ["http-title", "Go ahead &amp; ScanMe!\nRequested resource was /home", [
          { key: "title", value: "Go ahead &amp; ScanMe!" },
          { key: "redirect_url", value: "/home" },
        ]],
      ]);
    } finally {
      s.close();
    }
  },
});

Deno.test({
  name:
    "built-in http-title: a page without a title names its content type, chunked bodies are read",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = serve(() =>
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "5\r\nhello\r\n0\r\n\r\n"
    );
    try {
      const r = await run(["http-title"], s.port, "http");
      assert.deepEqual(r.map((x) => [x.id, x.output]), [
        ["http-title", "Site doesn't have a title (text/plain)."],
      ]);
    } finally {
      s.close();
    }
  },
});

Deno.test({
  name: "built-in banner: what the service says first, trailing newline removed, controls escaped",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = serve(() => "SSH-2.0-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2.13\r\n", false);
    const t = serve(() => "220 hi\x01there\r\n", false);
    try {
      assert.deepEqual((await run(["banner"], s.port, "ssh")).map((x) => [x.id, x.output]), [
        ["banner", "SSH-2.0-OpenSSH_6.6.1p1 Ubuntu-2ubuntu2.13"],
      ]);
      assert.deepEqual((await run(["banner"], t.port, "ftp")).map((x) => x.output), [
        "220 hi\\x01there",
      ]);
    } finally {
      s.close();
      t.close();
    }
  },
});

/** A loopback TCP server that reads `readFirst` bytes of each connection, then writes
 * `answer(request)` and closes it. */
function serveBytes(answer: (req: Uint8Array) => Uint8Array, readFirst = 0) {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of l) {
      (async () => {
        try {
          const req = new Uint8Array(readFirst);
          for (let got = 0; got < readFirst;) {
            const n = await c.read(req.subarray(got));
            if (n === null) break;
            got += n;
          }
          await c.write(answer(req));
        } catch { /* the client went away */ }
        try {
          c.close();
        } catch { /* closed */ }
      })();
    }
  })();
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close() };
}

/** Bytes from parts: strings as Latin-1, numbers as one byte each, arrays as they are. */
function bytes(...parts: (string | number | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") out.push(p);
    else if (typeof p === "string") { for (const c of p) out.push(c.charCodeAt(0)); }
    else out.push(...p);
  }
  return new Uint8Array(out);
}
const le16 = (n: number) => [n & 255, n >> 8];
const be32 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

Deno.test({
  name: "built-in mysql-info: a MariaDB handshake as nmap's mysql-info shows it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // Protocol 10, version, thread 31, salt (8 + 12 bytes), capabilities 0xf7fe / 0x81bf,
    // charset 45, status 2 (autocommit), auth data length 21, 10 reserved bytes, plugin name.
    const payload = bytes(
      10,
      "5.5.5-10.11.6-MariaDB-0+deb12u1\0",
      [31, 0, 0, 0],
      "ABCDefgh",
      0,
      le16(0xf7fe),
      45,
      le16(2),
      le16(0x81bf),
      21,
      new Array(10).fill(0),
      "ijklMNOP1234\0",
      "mysql_native_password\0",
    );
    const s = serveBytes(() => bytes([payload.length, 0, 0, 0], [...payload]));
    try {
      const [r] = await run(["mysql-info"], s.port, "mysql");
      assert.equal(
        r?.output,
        [
          "",
          "  Protocol: 10",
          "  Version: 5.5.5-10.11.6-MariaDB-0+deb12u1",
          "  Thread ID: 31",
          "  Capabilities flags: 63486",
          "  Some Capabilities: FoundRows, LongColumnFlag, ConnectWithDatabase, " +
          "DontAllowDatabaseTableColumn, SupportsCompression, ODBCClient, SupportsLoadDataLocal, " +
          "IgnoreSpaceBeforeParenthesis, Speaks41ProtocolNew, InteractiveClient, IgnoreSigpipes, " +
          "SupportsTransactions, Speaks41ProtocolOld, Support41Auth, SupportsMultipleStatments, " +
          "SupportsMultipleResults, SupportsAuthPlugins",
          "  Status: Autocommit",
          "  Salt: ABCDefghijklMNOP1234",
          "  Auth Plugin Name: mysql_native_password",
        ].join("\n"),
      );
      const caps = r?.elems?.find((e) => e.key === "Some Capabilities");
      assert.equal(caps && "table" in caps ? caps.table.length : 0, 17);
    } finally {
      s.close();
    }
  },
});

Deno.test({
  name: "built-in rpcinfo: an rpcbind version 4 DUMP over TCP, in nmap's table",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const xdr = (
      s: string,
    ) => [...be32(s.length), ...bytes(s), ...new Array((4 - s.length % 4) % 4).fill(0)];
    const entry = (prog: number, vers: number, netid: string, addr: string) => [
      ...be32(1),
      ...be32(prog),
      ...be32(vers),
      ...xdr(netid),
      ...xdr(addr),
      ...xdr("superuser"),
    ];
    let calls = 0;
    const s = serveBytes((req) => {
      calls++;
      const call = new DataView(req.buffer, 4);
      // The call: RPC version 2, program 100000, version 4, procedure 4 (DUMP).
      assert.deepEqual([1, 2, 3, 4, 5].map((i) => call.getUint32(4 * i)), [0, 2, 100000, 4, 4]);
      const body = [
        ...be32(call.getUint32(0)), // xid
        ...be32(1), // reply
        ...be32(0), // accepted
        ...be32(0),
        ...be32(0), // verifier: none
        ...be32(0), // success
        ...entry(100000, 4, "tcp", "0.0.0.0.0.111"),
        ...entry(100000, 3, "tcp", "0.0.0.0.0.111"),
        ...entry(100000, 2, "tcp", "0.0.0.0.0.111"),
        ...entry(100000, 4, "udp", "0.0.0.0.0.111"),
        ...entry(100000, 4, "local", "/run/rpcbind.sock"),
        ...entry(100024, 1, "udp", "0.0.0.0.127.253"),
        ...entry(100024, 1, "tcp6", "::.127.253"),
        ...entry(400123, 1, "tcp", "0.0.0.0.4.0"),
        ...be32(0),
      ];
      // Two fragments: the last one's mark has the top bit.
      const half = 40;
      return bytes(
        be32(half),
        body.slice(0, half),
        be32(0x80000000 + body.length - half),
        body.slice(half),
      );
    }, 44);
    // nmap's rpcinfo runs on port 111 only: the test server's port stands in for it.
    const source = BUILTIN_SCRIPTS.rpcinfo!.replace(
      "port.number == 111",
      `port.number == ${s.port}`,
    );
    const e = await NseEngine.create({ dataDirs: [], targets: new Set(["127.0.0.1"]) });
    try {
      try {
        assert.equal(e.loadScript("porthole:builtin/rpcinfo.nse", source), undefined);
        e.addTarget("127.0.0.1", "", [
          { number: s.port, protocol: "tcp", state: "open", service: "rpcbind" },
          { number: 1024, protocol: "tcp", state: "open", service: "exp1", method: "table" },
          { number: 32765, protocol: "udp", state: "open|filtered" },
        ]);
        const [r] = await e.run("host");
        assert.equal(calls, 1);
        // The open ports the portmapper maps a program to are named after it, as nmap's rpcinfo
        // names them (-sV's columns; a program the script has no name for stays unnamed).
        const updates = e.takeServiceUpdates();
        const named = (port: number) => {
          const u = updates.find((x) => x.port === port);
          return u && [u.probestate, u.name, u.version, u.extrainfo];
        };
        assert.deepEqual(named(1024), ["softmatched", undefined, "1", "RPC #400123"]);
        assert.deepEqual(named(32765), ["softmatched", "status", "1", "RPC #100024"]);
        assert.equal(updates.length, 2);
        const row = (prog: string, vers: string, port: string, proto: string, name: string) =>
          `  ${prog.padEnd(7)} ${vers.padEnd(10)} ${port.padStart(5)}/${proto.padEnd(4)}  ${name}`;
        assert.equal(
          r?.output,
          [
            "",
            "  program version    port/proto  service",
            row("100000", "2,3,4", "111", "tcp", "rpcbind"),
            row("100000", "4", "111", "udp", "rpcbind"),
            row("100024", "1", "32765", "tcp6", "status"),
            row("100024", "1", "32765", "udp", "status"),
            row("400123", "1", "1024", "tcp", ""),
            "",
          ].join("\n"),
        );
        // The structured output keeps what the text leaves out (the "local" transport).
        const sub = (elems: ScriptElem[] | undefined, key: string) => {
          const e = elems?.find((x) => x.key === key);
          return e && "table" in e ? e.table : e?.value;
        };
        const local = sub(sub(r?.elems, "100000") as ScriptElem[], "local");
        assert.equal(sub(local as ScriptElem[], "addr"), "/run/rpcbind.sock");
        // A TCP or UDP address without its port (the port has an element of its own).
        const tcp = sub(sub(r?.elems, "100000") as ScriptElem[], "tcp") as ScriptElem[];
        assert.equal(sub(tcp, "addr"), "0.0.0.0");
        assert.equal(sub(tcp, "port"), "111");
      } finally {
        e.close();
      }
    } finally {
      s.close();
    }
  },
});

Deno.test({
  name: "built-in mysql-info: a server that refuses us shows its error only from -vv on, as nmap's",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const msg = "Host '10.1.0.1' is not allowed to connect to this MariaDB server";
    const payload = bytes(0xff, le16(1130), msg);
    const s = serveBytes(() => bytes([payload.length, 0, 0, 0], [...payload]));
    try {
      for (const verbosity of [1, 2]) {
        const e = await NseEngine.create({
          dataDirs: [],
          targets: new Set(["127.0.0.1"]),
          verbosity,
        });
        try {
          e.loadScript("porthole:builtin/mysql-info.nse", BUILTIN_SCRIPTS["mysql-info"]!);
          e.addTarget("127.0.0.1", "", [{
            number: s.port,
            protocol: "tcp",
            state: "open",
            service: "mysql",
          }]);
          const r = await e.run("host");
          assert.deepEqual(
            r.map((x) => x.output),
            verbosity > 1 ? [`\n  MySQL Error: ${msg}`] : [],
          );
        } finally {
          e.close();
        }
      }
    } finally {
      s.close();
    }
  },
});

Deno.test({
  name: "built-in nbstat: the NetBIOS MAC's vendor as the MAC line names it (nmapdb.mac2corp)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ph-nbstat-" });
    await Deno.writeTextFile(`${dir}/nmap-mac-prefixes`, "000C29 Test Vendor\n");
    const nbName = (name: string, suffix: number, flags: number) =>
      bytes(name.padEnd(15, " "), suffix, flags >> 8, flags & 255);
    const wildcard = bytes(32, "CK", new Array(30).fill(0x41), 0);
    const answer = (mac: number[]) => {
      const rdata = bytes(2, [...nbName("HOST", 0x20, 0x0400)], [...nbName("WG", 0, 0x8400)], [
        ...mac,
        ...new Array(40).fill(0),
      ]);
      return bytes(
        [0x13, 0x37, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0],
        [...wildcard],
        [0, 0x21, 0, 1, 0, 0, 0, 0, rdata.length >> 8, rdata.length & 255],
        [...rdata],
      );
    };
    const udp = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
    let mac: number[] = [];
    (async () => {
      for await (const [, from] of udp) await udp.send(answer(mac), from);
    })().catch(() => {});
    const port = (udp.addr as Deno.NetAddr).port;
    try {
      for (
        const [given, shown] of [
          [[0x00, 0x0c, 0x29, 0xc6, 0xda, 0xf5], "00:0c:29:c6:da:f5 (Test Vendor)"],
          [[0x02, 0x42, 0xac, 0x11, 0x00, 0x02], "02:42:ac:11:00:02 (unknown)"],
          [[0, 0, 0, 0, 0, 0], "<unknown> (unknown)"],
        ] as const
      ) {
        mac = [...given];
        const e = await NseEngine.create({
          dataDirs: [],
          targets: new Set(["127.0.0.1"]),
          datadir: dir,
        });
        try {
          const source = BUILTIN_SCRIPTS.nbstat!.replace(
            "connect(host, 137,",
            `connect(host, ${port},`,
          );
          assert.notEqual(source, BUILTIN_SCRIPTS.nbstat);
          assert.equal(e.loadScript("porthole:builtin/nbstat.nse", source), undefined);
          e.addTarget("127.0.0.1", "", [{ number: 137, protocol: "udp", state: "open" }]);
          const [r] = await e.run("host");
          assert.equal(
            r?.output,
            `NetBIOS name: HOST, NetBIOS user: <unknown>, NetBIOS MAC: ${shown}`,
          );
        } finally {
          e.close();
        }
      }
    } finally {
      udp.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "nmapdb.mac2corp takes nmap's forms: 6 raw bytes, 12 hex digits, colons between bytes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ph-mac2corp-" });
    await Deno.writeTextFile(`${dir}/nmap-mac-prefixes`, "000C29 Test Vendor\n");
    const e = await NseEngine.create({ dataDirs: [], targets: new Set(), datadir: dir });
    try {
      const script = `
        local nmapdb = require "nmapdb"
        prerule = function() return true end
        action = function()
          local out = {}
          for _, m in ipairs({ "\\0\\12\\41\\1\\2\\3", "000c29010203", "00:0C:29:01:02:03", "020000000000" }) do
            out[#out + 1] = tostring(nmapdb.mac2corp(m))
          end
          out[#out + 1] = tostring(pcall(nmapdb.mac2corp, "000c2901"))
          return table.concat(out, "|")
        end`;
      assert.equal(e.loadScript("t.nse", script), undefined);
      const [r] = await e.run("pre");
      assert.equal(r?.output, "Test Vendor|Test Vendor|Test Vendor|nil|false");
    } finally {
      e.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
