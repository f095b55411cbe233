/**
 * Which libpcap a root scan loads (issue 15): the system's, or the one file the command line
 * names with --libpcap — never one the environment names (with `sudo -E`, PORTHOLE_LIBPCAP made
 * Deno.dlopen run any library as root). Raw scans of the lab's scanme, with the porthole task's
 * flags; lab tags here start with "pm".
 */

import { equal, match, ok } from "node:assert/strict";
import { Lab, labUnavailable, REPO_ROOT } from "./lab/mod.ts";
import { run } from "./lab/_exec.ts";

const why = await labUnavailable();

/** The first system copy of libpcap on this host, by absolute path. */
function systemLibpcap(): string | undefined {
  for (const dir of [`/usr/lib/${Deno.build.arch}-linux-gnu`, "/usr/lib64", "/usr/lib"]) {
    for (const name of ["libpcap.so.1", "libpcap.so.0.8"]) {
      try {
        Deno.statSync(`${dir}/${name}`);
        return `${dir}/${name}`;
      } catch { /* not here */ }
    }
  }
  return undefined;
}

Deno.test({
  name: "permissions: libpcap comes from the system or --libpcap, never from the environment",
  ignore: why !== null || systemLibpcap() === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using lab = await Lab.up({ tag: "pm1", scenario: "scanme" });
    const scan = ["-sS", "-n", "-Pn", "-p", "22,113", lab.target.v4];
    const scanned = (r: { code: number; stdout: string; stderr: string }) => {
      equal(r.code, 0, r.stderr);
      match(r.stdout, /22\/tcp\s+open\s+ssh/);
      match(r.stdout, /113\/tcp\s+closed\s+ident/);
    };
    /** The porthole task's argv with `env NAME=value…` in front of it. */
    const withEnv = async (vars: string[], args: string[]) => {
      const argv = await lab.portholeArgv(args);
      return [...argv.slice(0, 4), "env", ...vars, ...argv.slice(4)];
    };

    await t.step("PORTHOLE_LIBPCAP naming no library changes nothing", async () => {
      const r = await run(await withEnv(["PORTHOLE_LIBPCAP=/nonexistent/libpcap.so"], scan), {
        cwd: REPO_ROOT,
        timeoutMs: 120_000,
      });
      scanned(r);
    });

    await t.step("--libpcap with the system's file scans", async () => {
      scanned(await lab.porthole(["--libpcap", systemLibpcap()!, ...scan], { timeoutMs: 120_000 }));
    });

    await t.step("--libpcap naming nothing, or no library: one line, exit 1", async () => {
      const missing = await lab.porthole(["--libpcap", "/nonexistent/libpcap.so", ...scan]);
      equal(missing.code, 1);
      match(missing.stderr, /Failed to open libpcap \/nonexistent\/libpcap\.so for reading/);
      equal(missing.stdout, "");
      const notLib = await lab.porthole(["--libpcap", "/etc/hostname", ...scan]);
      equal(notLib.code, 1);
      match(notLib.stderr, /raw packet access: cannot load libpcap from \/etc\/hostname/);
      for (const r of [missing, notLib]) ok(!/\n\s+at /.test(r.stderr), r.stderr);
    });

    await t.step("a resume file's --libpcap is ignored: files are data, never code", async () => {
      const dir = await Deno.makeTempDir({ prefix: "ph-pm-" });
      try {
        const file = `${dir}/scan.gnmap`;
        await Deno.writeTextFile(
          file,
          "# Nmap 0.1.0 scan initiated Sun Dec  6 22:58:59 2026 as: porthole " +
            `--libpcap /etc/hostname ${scan.join(" ")} -oG ${file}\n`,
        );
        const r = await lab.porthole(["--resume", file], { timeoutMs: 120_000 });
        scanned(r);
        match(r.stderr, /ignoring --libpcap in the resume file/);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
});
