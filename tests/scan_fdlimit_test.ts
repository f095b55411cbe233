/**
 * Out of file descriptors is never a port state: -sT and -sV under
 * `ulimit -n 24` and `ulimit -n 64` give the table they give without the
 * limit (and nmap's, which is right under the same limits), exit 0. On the
 * anyip16 lab every address has 100 open ports, far more connections than
 * such a process may hold at once; before connects were budgeted, -sT called
 * some of them filtered and -sV called services tcpwrapped.
 *
 * The scanner runs as root, so a raw discovery would need packet sockets
 * that 24 descriptors cannot spare (Deno itself holds 21–23): the runs at 24
 * skip discovery (-Pn) and use the connect scan for -sV too (-sT). At 22–23
 * Deno has no room even for its signal handling (it panicked there): Porthole
 * says so in one sentence and exits 1.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import {
  haveNmap,
  type Lab,
  labTest,
  ok,
  parseNmapNormal,
  type RunResult,
  tables,
  withLab,
} from "./scan_lab.ts";

const TCP_PORTS = "22,80,443,8000-8096";

/** setpriv (util-linux) runs Porthole as nobody for the unprivileged case. */
const haveSetpriv = await (async () => {
  try {
    return (await new Deno.Command("setpriv", { args: ["--version"], stdout: "null" }).output())
      .success;
  } catch {
    return false;
  }
})();

/** Runs argv (a command inside the scanner namespace) with the open-files limit at `limit`. */
function limited(lab: Lab, limit: number, argv: string[], timeoutMs = 300_000): Promise<RunResult> {
  return lab.runInScanner(["sh", "-c", `ulimit -n ${limit} && exec "$@"`, "sh", ...argv], {
    timeoutMs,
  });
}

/** Porthole's argv without the `ip netns exec <ns>` that runInScanner adds. */
async function porthole(lab: Lab, args: string[]): Promise<string[]> {
  const argv = await lab.portholeArgv(args);
  return argv.slice(argv.indexOf(lab.scanner.ns) + 1);
}

/** Each host's rows with the VERSION column (-sV). */
function versions(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const h of parseNmapNormal(text)) {
    out[h.address] = h.ports.map((p) =>
      `${p.port}/${p.proto} ${p.state} ${p.service} ${p.version}`.trimEnd()
    );
  }
  return out;
}

/** Rows without the VERSION column (nmap's http-server-header words it differently). */
function services(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const h of parseNmapNormal(text)) {
    out[h.address] = h.ports.map((p) => `${p.port}/${p.proto} ${p.state} ${p.service}`);
  }
  return out;
}

function pick<T>(rec: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(keys.map((k) => [k, rec[k]!]));
}

/** One line per host and row, so a failure lists only what differs (not 800 rows twice). */
function lines(rec: Record<string, unknown>): string[] {
  return Object.entries(rec).flatMap(([addr, v]) => {
    if (Array.isArray(v)) return v.map((row) => `${addr} ${row}`);
    const t = v as ReturnType<typeof tables>[string];
    return [
      `${addr} up=${t.up} not shown: ${t.notShown ?? "-"}`,
      ...t.ports.map((r) => `${addr} ${r}`),
    ];
  });
}

/** Asserts `got` equals `want`, reporting the rows missing from each side. */
function assertSame(got: Record<string, unknown>, want: Record<string, unknown>, what: string) {
  const g = lines(got), w = lines(want);
  const gs = new Set(g), ws = new Set(w);
  const missing = w.filter((x) => !gs.has(x));
  const extra = g.filter((x) => !ws.has(x));
  assertEquals({ missing, extra }, { missing: [], extra: [] }, what);
  assertEquals(g, w, `${what}: same rows, other order`);
}

Deno.test(
  labTest("fdlimit: -sT and -sV under ulimit -n 24 and 64 give the unlimited table", async (t) => {
    await withLab({ tag: "fdlim", scenario: "anyip16" }, async (lab) => {
      const base = lab.anyip!.replace(/\.0\.0\/16$/, "");
      const hosts = (n: number) => Array.from({ length: n }, (_, i) => `${base}.0.${i + 1}`);
      const range = (n: number) => `${base}.0.1-${n}`;

      const args = ["-sT", "-Pn", "-n", "-p", TCP_PORTS, range(8)];
      const want = tables(ok(await lab.porthole(args), "porthole -sT, no limit"));
      assertEquals(Object.keys(want), hosts(8));
      for (const h of hosts(8)) assertEquals(want[h]!.ports.length, 100);

      await t.step("-sT", async () => {
        for (const limit of [24, 64]) {
          const r = await limited(lab, limit, await porthole(lab, args));
          assertSame(tables(ok(r, `porthole -sT, ulimit -n ${limit}`)), want, `ulimit -n ${limit}`);
        }
        // With room for raw discovery (ARP) as well.
        const withPing = ["-sT", "-n", "-p", TCP_PORTS, range(8)];
        const r = await limited(lab, 64, await porthole(lab, withPing));
        assertSame(tables(ok(r, "porthole -sT with discovery, ulimit -n 64")), want, "discovery");
        if (haveNmap) {
          const n = await limited(lab, 24, ["nmap", ...args]);
          assertSame(tables(ok(n, "nmap -sT, ulimit -n 24")), want, "nmap");
        }
        // Below what the runtime needs for itself: the right table, or one
        // sentence and exit 1 — never a wrong table or a Deno panic.
        for (const limit of [22, 23]) {
          const r = await limited(lab, limit, await porthole(lab, args));
          if (r.code === 0) {
            assertSame(tables(r.stdout), want, `ulimit -n ${limit}`);
            continue;
          }
          assertEquals(r.code, 1, `ulimit -n ${limit}: ${r.stderr}`);
          assert(
            /^porthole: Too few file descriptors to run: the limit \(ulimit -n\) is \d+ and \d+ are in use; raise it, e\.g\. ulimit -n 1024\nQUITTING!\n$/
              .test(r.stderr),
            `ulimit -n ${limit}: ${r.stderr}`,
          );
        }
      });

      // Unprivileged: discovery by connect as well (the connect ping).
      await t.step({
        name: "unprivileged (connect ping), ulimit -n 24",
        ignore: !haveSetpriv,
        fn: async () => {
          const home = await Deno.makeTempDir({ prefix: "ph-fdlim-" });
          try {
            await Deno.chmod(home, 0o777);
            const asNobody = async (args: string[]) => [
              "setpriv",
              "--reuid=65534",
              "--regid=65534",
              "--clear-groups",
              "env",
              `HOME=${home}`,
              `DENO_DIR=${home}`,
              ...await porthole(lab, args),
            ];
            // A first run of the same scan fills Deno's caches: writing them takes
            // descriptors a later run does not need (23 of 24 instead of 21), and a
            // scan loads modules that --version does not.
            const scan = ["-n", "-p", TCP_PORTS, range(8)];
            ok(await lab.runInScanner(await asNobody(scan)), "porthole as nobody, no limit");
            const r = await limited(lab, 24, await asNobody(scan));
            assertSame(tables(ok(r, "porthole as nobody, ulimit -n 24")), want, "unprivileged");
          } finally {
            await Deno.remove(home, { recursive: true });
          }
        },
      });
      await t.step("-sV", async () => {
        const svArgs = (n: number) => ["-sT", "-sV", "-Pn", "-n", "-p", "22,80", range(n)];
        const out = ok(await lab.porthole(svArgs(16)), "porthole -sV, no limit");
        const want = versions(out);
        assertEquals(Object.keys(want), hosts(16));
        for (const h of hosts(16)) {
          assertEquals(want[h]!.map((row) => row.split(" ").slice(0, 3).join(" ")), [
            "22/tcp open ssh",
            "80/tcp open http",
          ]);
        }
        const r64 = await limited(lab, 64, await porthole(lab, svArgs(16)));
        assertSame(versions(ok(r64, "porthole -sV, ulimit -n 64")), want, "ulimit -n 64");
        // One descriptor to spare at 24: ports are probed one connection at a
        // time, each silent NULL probe waiting out its 6 s, so fewer hosts.
        const r24 = await limited(lab, 24, await porthole(lab, svArgs(4)));
        assertSame(versions(ok(r24, "porthole -sV, ulimit -n 24")), pick(want, hosts(4)), "24");
        if (haveNmap) {
          const n = await limited(lab, 24, ["nmap", ...svArgs(4)]);
          assertSame(services(ok(n, "nmap -sV, ulimit -n 24")), services(ok(r24, "")), "nmap");
        }
      });
    });
  }),
);
