import assert from "node:assert/strict";
import { NseEngine, type NseOptions } from "./engine.ts";
import type { NseNet } from "./net.ts";
import { haveNmapFile, NMAP } from "../../tests/testing/nmap_files.ts";

const haveNmap = haveNmapFile("nselib/stdnse.lua");

/** A network whose every socket echoes what is sent to it; records where it connected. */
function echoNet(calls: string[]): NseNet {
  return {
    connect(ip, port) {
      calls.push(`${ip}:${port}`);
      const queue: Uint8Array[] = [];
      return Promise.resolve({
        send: (d: Uint8Array) => Promise.resolve(void queue.push(d)),
        read: () => Promise.resolve(queue.shift() ?? null),
        close() {},
        info: { lhost: "127.0.0.1", lport: 40000, rhost: ip, rport: port },
      });
    },
  };
}

async function engine(extra: Partial<NseOptions> = {}): Promise<NseEngine> {
  return await NseEngine.create({
    dataDirs: [NMAP],
    targets: new Set(["127.0.0.1"]),
    ...extra,
  });
}

const HEAD = `local nmap = require "nmap"
local stdnse = require "stdnse"
description = [[test]]
categories = {"default", "safe"}
portrule = function(host, port) return port.number == 7 end
`;

Deno.test({
  name: "nse: a script's socket I/O yields, and its table output is formatted as nmap's",
  ignore: !haveNmap,
  async fn() {
    const calls: string[] = [];
    const e = await engine({ net: echoNet(calls) });
    try {
      const err = e.loadScript(
        "echo-test.nse",
        HEAD + `action = function(host, port)
  local s = nmap.new_socket()
  s:set_timeout(2000)
  assert(s:connect(host, port))
  assert(s:send("hi\\0\\255\\n"))
  local ok, data = s:receive_lines(1)
  local _, lhost, lport, rhost, rport = s:get_info()
  s:close()
  local o = stdnse.output_table()
  o.echo = stdnse.tohex(data)
  o.peer = rhost .. ":" .. rport
  o.list = {"a", "b"}
  o.big = 1 << 40
  return o
end`,
      );
      assert.equal(err, undefined);
      assert.deepEqual(e.scripts[0]?.categories, ["default", "safe"]);
      e.addTarget("127.0.0.1", "", [
        { number: 7, protocol: "tcp", state: "open", service: "echo" },
        { number: 8, protocol: "tcp", state: "open" },
      ]);
      const r = await e.run("host");
      assert.equal(r.length, 1);
      assert.equal(
        r[0]!.output,
        "\n  echo: 686900ff0a\n  peer: 127.0.0.1:7\n  list: \n    a\n    b\n  big: 1099511627776",
      );
      assert.deepEqual(r[0]!.elems, [
        { key: "echo", value: "686900ff0a" },
        { key: "peer", value: "127.0.0.1:7" },
        { key: "list", table: [{ value: "a" }, { value: "b" }] },
        { key: "big", value: "1099511627776" },
      ]);
      assert.deepEqual(calls, ["127.0.0.1:7"]);
    } finally {
      e.close();
    }
  },
});

Deno.test({
  name:
    "nse: many scripts in flight at once; one that errors or sleeps past --script-timeout does not stop the others",
  ignore: !haveNmap,
  async fn() {
    const log: string[] = [];
    const e = await engine({
      net: echoNet([]),
      debugging: 1,
      log: (l) => log.push(l),
      scriptTimeoutMs: 300,
    });
    try {
      for (let i = 0; i < 20; i++) {
        e.loadScript(
          `ok-${i}.nse`,
          HEAD + `action = function() stdnse.sleep(0.05) return "done ${i}" end`,
        );
      }
      e.loadScript("bad.nse", HEAD + `action = function() error("boom") end`);
      e.loadScript(
        "hang.nse",
        HEAD + `action = function() while true do stdnse.sleep(0.1) end end`,
      );
      e.addTarget("127.0.0.1", "", [{ number: 7, protocol: "tcp", state: "open" }]);
      const r = await e.run("host");
      assert.equal(r.length, 20);
      assert.deepEqual(
        r.map((x) => x.output).sort(),
        [...Array(20).keys()].map((i) => `done ${i}`).sort(),
      );
      assert.ok(log.some((l) => l.includes("bad") && l.includes("boom")), log.join("\n"));
      assert.ok(log.some((l) => l.includes("hang timed out")), log.join("\n"));
    } finally {
      e.close();
    }
  },
});

Deno.test({
  name:
    "nse: stdnse.new_thread workers run beside their script; a condvar on one object joins them (nse_main.lua)",
  ignore: !haveNmap,
  async fn() {
    const e = await engine({ net: echoNet([]) });
    try {
      const err = e.loadScript(
        "workers.nse",
        HEAD + `action = function(host, port)
  local results = {}
  local function work(i)
    stdnse.sleep(0.01)
    results[#results + 1] = i .. ":" .. stdnse.getid()
    nmap.condvar(results)("signal")
  end
  local threads = {}
  for i = 1, 3 do threads[stdnse.new_thread(work, i)] = true end
  local failing, status = stdnse.new_thread(function() error("worker boom") end)
  local condvar = nmap.condvar(results)
  repeat
    for t in pairs(threads) do
      if coroutine.status(t) == "dead" then threads[t] = nil end
    end
    if next(threads) then condvar("wait") end
  until next(threads) == nil
  local st, why = status()
  table.sort(results)
  return table.concat(results, " ") .. " | " .. st .. " " .. tostring(why):match("worker boom")
end`,
      );
      assert.equal(err, undefined);
      e.addTarget("127.0.0.1", "", [{ number: 7, protocol: "tcp", state: "open" }]);
      const r = await e.run("host");
      assert.deepEqual(r.map((x) => x.output), [
        "1:workers 2:workers 3:workers | dead worker boom",
      ]);
    } finally {
      e.close();
    }
  },
});

Deno.test({
  name:
    "nse sandbox: no os.execute, io.popen, writes, file reads outside the data dirs, or connections to non-targets",
  ignore: !haveNmap,
  async fn() {
    const calls: string[] = [];
    const log: string[] = [];
    const e = await engine({ net: echoNet(calls), debugging: 1, log: (l) => log.push(l) });
    try {
      e.loadScript(
        "escape.nse",
        HEAD + `action = function(host)
  local out = {}
  out[#out + 1] = tostring(os.execute or require("os").execute or require("io").popen)
  out[#out + 1] = tostring(io.popen)
  out[#out + 1] = tostring(io.open("/etc/passwd"))
  out[#out + 1] = tostring(io.open("${NMAP}/nselib/../../../etc/passwd"))
  out[#out + 1] = tostring(io.open("${NMAP}/nmap-services") ~= nil)
  out[#out + 1] = select(2, io.open("${NMAP}/nmap-services", "w"))
  out[#out + 1] = tostring(loadfile)
  out[#out + 1] = tostring(load(string.dump(function() end)))
  out[#out + 1] = tostring(load("return 7")())
  out[#out + 1] = tostring(nmap.fetchfile("../../../etc/passwd"))
  local s = nmap.new_socket()
  local ok, err = s:connect("192.0.2.1", 80)
  out[#out + 1] = tostring(ok) .. " " .. tostring(err)
  return table.concat(out, ",")
end`,
      );
      e.addTarget("127.0.0.1", "", [{ number: 7, protocol: "tcp", state: "open" }]);
      const r = await e.run("host");
      assert.equal(
        r[0]?.output,
        `nil,nil,nil,nil,true,${NMAP}/nmap-services: Permission denied (scripts write only under --script-write-dir),nil,nil,7,nil,false ERROR: not a target of this scan`,
        log.join("\n"),
      );
      assert.deepEqual(calls, []);
    } finally {
      e.close();
    }
  },
});

Deno.test({
  name: "nse: nmap's http-title runs unchanged against a web server on 127.0.0.1",
  ignore: !haveNmap,
  async fn() {
    const ac = new AbortController();
    const srv = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
      () =>
        new Response("<html><head><title>Porthole lab page</title></head></html>", {
          headers: { "content-type": "text/html" },
        }),
    );
    const e = await engine();
    try {
      const path = `${NMAP}/scripts/http-title.nse`;
      assert.equal(e.loadScript(path, Deno.readTextFileSync(path)), undefined);
      e.addTarget("127.0.0.1", "", [{
        number: srv.addr.port,
        protocol: "tcp",
        state: "open",
        service: "http",
      }]);
      const r = await e.run("host");
      assert.deepEqual(r.map((x) => [x.id, x.output, x.elems]), [[
        "http-title",
        "Porthole lab page",
        [{ key: "title", value: "Porthole lab page" }],
      ]]);
    } finally {
      e.close();
      ac.abort();
      await srv.finished;
    }
  },
});

Deno.test({
  name: "nse: a script needing a C module Porthole lacks fails to load with a clear note",
  ignore: !haveNmap,
  async fn() {
    const e = await engine();
    try {
      const path = `${NMAP}/scripts/ssh-auth-methods.nse`;
      const err = e.loadScript(path, Deno.readTextFileSync(path));
      assert.match(err ?? "", /nmap's C module 'libssh2' is not available in Porthole's NSE/);
      // Scripts on nmap's lpeg, pcre and zlib load.
      for (const id of ["http-server-header", "ntp-info", "banner", "http-git"]) {
        const p = `${NMAP}/scripts/${id}.nse`;
        assert.equal(e.loadScript(p, Deno.readTextFileSync(p)), undefined, id);
      }
    } finally {
      e.close();
    }
  },
});

Deno.test({
  name: "nse: a script runs after the scripts named in its dependencies (nmap's runlevels)",
  ignore: !haveNmap,
  async fn() {
    const e = await engine({ net: echoNet([]) });
    try {
      const script = (deps: string, body: string) =>
        HEAD.replace("categories", `dependencies = {${deps}}\ncategories`) +
        `action = function(host, port)\n${body}\nend\n`;
      // Loaded first, but it depends on dep-second: it must see what that one left behind.
      assert.equal(
        e.loadScript(
          "dep-first.nse",
          script(`"dep-second"`, `return "saw " .. tostring(nmap.registry.dep_second)`),
        ),
        undefined,
      );
      assert.equal(
        e.loadScript(
          "dep-second.nse",
          script(``, `stdnse.sleep(0.05)\nnmap.registry.dep_second = "done"\nreturn "ran"`),
        ),
        undefined,
      );
      e.addTarget("127.0.0.1", "", [{ number: 7, protocol: "tcp", state: "open" }]);
      const out = (await e.run("host")).map((r) => `${r.id}: ${r.output}`);
      assert.deepEqual(out, ["dep-second: ran", "dep-first: saw done"]);
    } finally {
      e.close();
    }
  },
});

Deno.test("nse: a script chosen by name sees one more level of verbosity, as in nmap", async () => {
  const e = await NseEngine.create({ dataDirs: [], targets: new Set(["127.0.0.1"]), verbosity: 1 });
  try {
    const src = (id: string) =>
      `local nmap = require "nmap"
description = [[${id}]]
categories = {"safe"}
hostrule = function() return true end
action = function() return "${id} " .. nmap.verbosity() end
`;
    assert.equal(e.loadScript("named.nse", src("named"), true), undefined);
    assert.equal(e.loadScript("bycat.nse", src("bycat")), undefined);
    e.addTarget("127.0.0.1", "", []);
    const out = (await e.run("host")).map((r) => r.output).sort();
    assert.deepEqual(out, ["bycat 1", "named 2"]);
  } finally {
    e.close();
  }
});

Deno.test("nse: nmap.timing_level() and nmap.address_family() are the scan's -T and -6", async () => {
  const src = `local nmap = require "nmap"
description = [[t]]
categories = {"safe"}
hostrule = function() return true end
action = function() return nmap.timing_level() .. " " .. nmap.address_family() end
`;
  for (const [opts, want] of [[{}, "3 inet"], [{ timing: 4, family: 6 }, "4 inet6"]] as const) {
    const e = await NseEngine.create({ dataDirs: [], targets: new Set(["127.0.0.1"]), ...opts });
    try {
      assert.equal(e.loadScript("t.nse", src), undefined);
      e.addTarget("127.0.0.1", "", []);
      assert.deepEqual((await e.run("host")).map((r) => r.output), [want]);
    } finally {
      e.close();
    }
  }
});

/** A network whose sockets accept everything and read nothing; `count` says how many are open
 * now, how many were at most, and how many connects there were. */
function countingNet(): { net: NseNet; count: { open: number; most: number; connects: number } } {
  const count = { open: 0, most: 0, connects: 0 };
  const net: NseNet = {
    connect(ip, port) {
      count.connects++;
      count.open++;
      count.most = Math.max(count.most, count.open);
      return Promise.resolve({
        send: () => Promise.resolve(),
        read: () => Promise.resolve(null),
        close() {
          count.open--;
        },
        info: { lhost: "127.0.0.1", lport: 40000, rhost: ip, rport: port },
      });
    },
  };
  return { net, count };
}

/** Runs 45 scripts that each hold two sockets a while, and one that never closes its socket;
 * how many sockets were open at most, and how many connects there were. */
async function socketLockRun(maxParallelism?: number) {
  const { net, count } = countingNet();
  const e = await engine({ net, maxParallelism });
  try {
    // Each thread holds two sockets for a while: a thread's second socket needs no new place.
    for (let i = 0; i < 45; i++) {
      e.loadScript(
        `hold-${i}.nse`,
        HEAD + `action = function(host, port)
  local a, b = nmap.new_socket(), nmap.new_socket()
  assert(a:connect(host, port))
  assert(b:connect(host, port))
  stdnse.sleep(0.02)
  a:close()
  b:close()
  return "done ${i}"
end`,
      );
    }
    // One that never closes its socket gives its place up when it ends.
    e.loadScript(
      "leak.nse",
      HEAD +
        `action = function(host, port) nmap.new_socket():connect(host, port) return "leaked" end`,
    );
    e.addTarget("127.0.0.1", "", [{ number: 7, protocol: "tcp", state: "open" }]);
    const r = await e.run("host");
    assert.equal(r.length, 46);
    return { most: count.most, connects: count.connects };
  } finally {
    e.close();
  }
}

Deno.test({
  name:
    "nse: at most 21 script threads hold connected sockets at once (nmap's socket lock), or --max-parallelism + 1; the others wait for room and all finish",
  ignore: !haveNmap,
  async fn() {
    for (const [limit, threads] of [[undefined, 21], [5, 6]] as const) {
      const { most, connects } = await socketLockRun(limit);
      assert.equal(connects, 91);
      // + 1: leak.nse's socket stays open after its thread gave its place up, until collected.
      assert.ok(most <= 2 * threads + 1, `${most} sockets open at once (limit ${limit})`);
      assert.ok(most >= threads, `${most} sockets open at once: the lock let too few through`);
    }
  },
});

Deno.test({
  name: "nse: a socket a finished script left open is closed once Lua collects it, as nmap's",
  ignore: !haveNmap,
  async fn() {
    const { net, count } = countingNet();
    const e = await engine({ net });
    try {
      e.loadScript(
        "leak.nse",
        HEAD +
          `action = function(host, port) nmap.new_socket():connect(host, port) return "leaked" end`,
      );
      // Runs after leak.nse (a dependency), when its socket is garbage.
      e.loadScript(
        "collect.nse",
        HEAD.replace("description", 'dependencies = {"leak"}\ndescription') +
          `action = function() collectgarbage() collectgarbage() return "collected" end`,
      );
      e.addTarget("127.0.0.1", "", [{ number: 7, protocol: "tcp", state: "open" }]);
      const r = await e.run("host");
      assert.deepEqual(r.map((x) => x.output).sort(), ["collected", "leaked"]);
      assert.equal(count.open, 0, "the leaked socket is still open");
    } finally {
      e.close();
    }
  },
});

Deno.test({
  name:
    'nse -d: nmap\'s "Starting/Finished SCRIPT against HOST:PORT." lines, for threads whose rule matched',
  ignore: !haveNmap,
  async fn() {
    const log: string[] = [];
    const e = await engine({ net: echoNet([]), debugging: 1, log: (l) => log.push(l) });
    try {
      e.loadScript("said.nse", HEAD + `action = function() return "x" end`);
      e.addTarget("127.0.0.1", "", [
        { number: 7, protocol: "tcp", state: "open" },
        { number: 9, protocol: "tcp", state: "open" },
      ]);
      await e.run("host");
      assert.deepEqual(log.filter((l) => /Starting|Finished/.test(l)), [
        "NSE: Starting said against 127.0.0.1:7.",
        "NSE: Finished said against 127.0.0.1:7.",
      ]);
    } finally {
      e.close();
    }
  },
});

Deno.test({
  name:
    "nse: threads waiting on a mutex sleep until it is free and take it in the order they asked (no polling), one dying with it does not hold it",
  ignore: !haveNmap,
  async fn() {
    const e = await engine({ net: echoNet([]) });
    try {
      const err = e.loadScript(
        "queue.nse",
        `local nmap = require "nmap"
local stdnse = require "stdnse"
description = [[test]]
categories = {"default"}
portrule = function() return true end
action = function(host, port)
  local m = nmap.mutex("queue-test")
  m "lock"
  nmap.registry.order = (nmap.registry.order or "") .. port.number .. " "
  if port.number == 1 then stdnse.sleep(0.3) end
  if port.number == 2 then error("dies holding the mutex") end
  m "done"
  return nmap.registry.order
end`,
      );
      assert.equal(err, undefined);
      const ports = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => ({
        number: n,
        protocol: "tcp",
        state: "open",
      }));
      e.addTarget("127.0.0.1", "", ports);
      const r = await e.run("host");
      assert.equal(r.find((x) => x.port === 10)?.output, "1 2 3 4 5 6 7 8 9 10 ");
      // One sleep; waiters polling every 10 ms started dozens of operations.
      assert.equal(e.operations, 1);
    } finally {
      e.close();
    }
  },
});

Deno.test({
  name:
    "nse: host.times are the scan's round-trip figures in seconds (stdnse.get_timeout follows them, as in nmap)",
  ignore: !haveNmap,
  async fn() {
    const e = await engine({ net: echoNet([]) });
    try {
      e.loadScript(
        "times.nse",
        HEAD + `action = function(host)
  local t = host.times
  return ("%g %g %g %d"):format(t.srtt, t.rttvar, t.timeout, stdnse.get_timeout(host, 8000, 500))
end`,
      );
      e.addTarget("127.0.0.1", "", [{ number: 7, protocol: "tcp", state: "open" }], {
        srtt: 250,
        rttvar: 5000,
        timeout: 300000,
      });
      assert.deepEqual((await e.run("host")).map((r) => r.output), ["0.00025 0.005 0.3 600"]);
    } finally {
      e.close();
    }
  },
});

Deno.test({
  name:
    "nse: a thread whose socket Lua collected gives its place in the socket lock up while it still runs (socket_unlock every round, as nmap's loop)",
  ignore: !haveNmap,
  async fn() {
    const { net } = countingNet();
    const e = await engine({ net, maxParallelism: 1 }); // room for two threads
    try {
      e.loadScript(
        "drops.nse",
        `local nmap = require "nmap"
local stdnse = require "stdnse"
description = [[test]]
categories = {"default"}
portrule = function() return true end
local function log(s) nmap.registry.log = (nmap.registry.log or "") .. s .. " " end
action = function(host, port)
  local s = nmap.new_socket()
  assert(s:connect(host, port))
  log("connect" .. port.number)
  if port.number == 3 then return end
  s = nil
  collectgarbage()
  stdnse.sleep(0.2)
  log("end" .. port.number)
  if port.number == 1 then return nmap.registry.log end
end`,
      );
      e.addTarget(
        "127.0.0.1",
        "",
        [1, 2, 3].map((n) => ({ number: n, protocol: "tcp", state: "open" })),
      );
      const r = await e.run("host");
      // The third thread connects while the first two sleep, their sockets collected.
      assert.equal(r.find((x) => x.port === 1)?.output, "connect1 connect2 connect3 end1 ");
    } finally {
      e.close();
    }
  },
});

/** A network whose sockets take everything and never answer: each read fails with TIMEOUT after
 * `waitMs`. `count` says how many sockets were open at most and which ports were connected. */
function silentNet(waitMs: number) {
  const count = { open: 0, most: 0, ports: [] as number[] };
  const net: NseNet = {
    connect(ip, port) {
      count.ports.push(port);
      count.open++;
      count.most = Math.max(count.most, count.open);
      return Promise.resolve({
        send: () => Promise.resolve(),
        read: () => new Promise((_, no) => setTimeout(() => no(new Error("TIMEOUT")), waitMs)),
        close() {
          count.open--;
        },
        info: { lhost: "127.0.0.1", lport: 40000, rhost: ip, rport: port },
      });
    },
  };
  return { net, count };
}

Deno.test({
  name:
    "nse: shortport.ssl probes a host's ports side by side, each port once however many scripts ask, the verdict in host.registry.ssl",
  ignore: !haveNmap,
  async fn() {
    const { net, count } = silentNet(200);
    const e = await engine({ net });
    try {
      // Two scripts ask about every port, as ssl-cert and http.lua do (nselib's shortport.ssl).
      for (const id of ["asks-a", "asks-b"]) {
        e.loadScript(
          `${id}.nse`,
          `local shortport = require "shortport"
description = [[test]]
categories = {"default"}
portrule = function(host, port) return true end
action = function(host, port)
  local v = shortport.ssl(host, port)
  return tostring(v) .. " " .. tostring(host.registry.ssl[port.number .. port.protocol])
end`,
        );
      }
      // Ports nselib does not take for TLS by number: each needs its two probes.
      const ports = [7, 9, 13, 17];
      e.addTarget(
        "127.0.0.1",
        "",
        ports.map((number) => ({ number, protocol: "tcp", state: "open" })),
      );
      const r = await e.run("host");
      // As in nmap: the prober gets nselib's nil (no verdict), the other script the stored false.
      assert.deepEqual(r.map((x) => x.output).sort(), [
        ...Array(4).fill("false false"),
        ...Array(4).fill("nil false"),
      ]);
      // nselib's two probes a port, each port probed by one script only.
      assert.deepEqual(count.ports.sort((a, b) => a - b), [7, 7, 9, 9, 13, 13, 17, 17]);
      // nmap's one mutex a host would keep one probe open at a time.
      assert.ok(count.most >= 2, `${count.most} probe(s) open at once: the ports queued`);
    } finally {
      e.close();
    }
  },
});

Deno.test({
  name:
    "nse: a runlevel's threads start in nmap's order: a host's hostrules, then each port with every script's portrule",
  ignore: !haveNmap,
  async fn() {
    const log: string[] = [];
    const e = await engine({ net: echoNet([]), debugging: 1, log: (l) => log.push(l) });
    try {
      const any = HEAD.replace("port.number == 7", "true");
      e.loadScript("b-said.nse", any + `action = function() return "x" end`);
      e.loadScript("a-said.nse", any + `action = function() return "x" end`);
      e.addTarget("127.0.0.1", "", [
        { number: 7, protocol: "tcp", state: "open" },
        { number: 9, protocol: "tcp", state: "open" },
      ]);
      await e.run("host");
      assert.deepEqual(log.filter((l) => /Starting/.test(l)), [
        "NSE: Starting b-said against 127.0.0.1:7.",
        "NSE: Starting a-said against 127.0.0.1:7.",
        "NSE: Starting b-said against 127.0.0.1:9.",
        "NSE: Starting a-said against 127.0.0.1:9.",
      ]);
    } finally {
      e.close();
    }
  },
});
