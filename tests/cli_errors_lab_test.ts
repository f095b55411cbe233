/**
 * Clear errors, run as a user would on the lab's hostile scenario: -e and -S that cannot work,
 * a damaged --osdb, missing Deno permissions or libpcap, stdout closed under us (`| head`), and
 * control bytes from banners, target specs and input files. Each is one clear message and the
 * right exit status, before any packet where it can be, and nothing raw reaches a terminal.
 */

import { deepEqual, doesNotMatch, equal, match, ok } from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import type { RunResult } from "./lab/_exec.ts";
import { missingTools } from "./_oracle.ts";

/** Characters a terminal would act on or that are not ASCII: only printable ASCII, TAB and
 * LF may reach it (nmap's escape_for_screen). Returns the offending ones, with context. */
function rawBytes(text: string): string[] {
  const bad: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || c > 0x7e) {
      bad.push(JSON.stringify(text.slice(Math.max(0, i - 30), i + 10)));
    }
  }
  return bad;
}

/** The fatal message: the line before "QUITTING!", or the last (libnetutil fatals have none). */
function fatalLine(stderr: string): string | undefined {
  const lines = stderr.trimEnd().split("\n");
  return lines.at(-1) === "QUITTING!" ? lines.at(-2) : lines.at(-1);
}

/** Runs its arguments with stdout a pipe whose reader is already gone: the first write gets
 * EPIPE, every time, as `| head` gives once head has exited. */
const CLOSED_STDOUT = `import os, subprocess, sys
r, w = os.pipe()
os.close(r)
sys.exit(subprocess.run(sys.argv[1:], stdout=w).returncode)`;

Deno.test({
  name: "cli errors: one clear message and the right exit status, never a raw control byte",
  ignore: (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using lab = await Lab.up({ tag: "clierr", scenario: "hostile" });
    const target = lab.target.v4;
    const dir = await Deno.makeTempDir({ prefix: "ph-clierr-" });
    /** Porthole from source with the porthole task's flags minus those matching `drop`. */
    const reduced = async (drop: RegExp, args: string[]): Promise<RunResult> => {
      const argv = (await lab.portholeArgv(args)).filter((a) => !drop.test(a));
      return lab.runInScanner(argv.slice(4), { timeoutMs: 60_000 });
    };
    try {
      await t.step({
        name: "-e with an unknown interface, -S not ours: nmap's fatal words, exit 1",
        ignore: missingTools("nmap").length > 0,
        async fn() {
          for (
            const args of [
              ["-e", "nosuch0", "-p21", target],
              ["-sT", "-e", "nosuch0", "-p21", target],
              ["-S", "192.0.2.7", "-p21", target],
              ["-S", "192.0.2.7", "-e", "nosuch0", "-Pn", "-p21", target],
            ]
          ) {
            const [ours, nmap] = await Promise.all([lab.porthole(args), lab.nmap(args)]);
            equal(nmap.code, 1, `nmap ${args.join(" ")}: ${nmap.stderr}`);
            equal(ours.code, 1, `${args.join(" ")}: ${ours.stdout}${ours.stderr}`);
            ok(fatalLine(nmap.stderr), nmap.stderr);
            equal(fatalLine(ours.stderr), fatalLine(nmap.stderr), args.join(" "));
            doesNotMatch(ours.stdout, /scan report|done:/);
          }
        },
      });

      await t.step("a garbage or truncated --osdb is refused with its line number", async () => {
        const garbage = `${dir}/garbage-os-db`;
        await Deno.writeFile(garbage, new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 27, 10]));
        let r = await lab.porthole(["-O", "--osdb", garbage, "-p21", target]);
        equal(r.code, 1, r.stdout + r.stderr);
        equal(
          fatalLine(r.stderr),
          "Parse error on line 1 of nmap-os-db file " + garbage + ": \\x7FELF\\x00\\x01\\x1B",
        );
        doesNotMatch(r.stdout, /scan report/);

        // Cut in the middle of a test line, as a failed copy leaves it.
        const text = await Deno.readTextFile(
          new URL("../cli/data/porthole-os-db", import.meta.url),
        );
        const lines = text.split("\n");
        const at = lines.findLastIndex((l) => l.startsWith("T1("));
        const cut = `${dir}/cut-os-db`;
        await Deno.writeTextFile(
          cut,
          lines.slice(0, at).join("\n") + "\n" + lines[at]!.slice(0, 9),
        );
        r = await lab.porthole(["-O", "--osdb", cut, "-p21", target]);
        equal(r.code, 1, r.stdout + r.stderr);
        match(fatalLine(r.stderr) ?? "", new RegExp(`^Parse error on line ${at + 1} of `));
      });

      await t.step("missing Deno permissions: one sentence naming it and its flag", async () => {
        let r = await reduced(/^--allow-net$/, ["-sT", "-p21,22", target]);
        equal(r.code, 1, r.stdout + r.stderr);
        equal(
          r.stderr,
          "Porthole needs Deno's net permission for a connect scan (-sT): run Deno with --allow-net\nQUITTING!\n",
        );
        doesNotMatch(r.stdout, /filtered/);

        r = await reduced(/^--allow-/, ["-p21", target]);
        equal(r.code, 1, r.stderr);
        match(r.stderr, /^Porthole needs Deno's sys permission .*: run Deno with --allow-sys\n/);

        r = await reduced(/^--allow-ffi$/, ["--iflist"]);
        equal(r.code, 1, r.stdout + r.stderr);
        match(r.stderr, /^Porthole needs Deno's ffi permission .*: run Deno with --allow-ffi\n/);

        r = await reduced(/^--allow-write$/, ["-oX", `${dir}/x.xml`, "-p21", target]);
        equal(r.code, 1, r.stdout + r.stderr);
        match(
          r.stderr,
          /^Porthole needs Deno's write permission .*: run Deno with --allow-write\n/,
        );
      });

      await t.step({
        name: "root without libpcap: says libpcap is missing and which package has it",
        ignore: missingTools("unshare", "mount").length > 0,
        async fn() {
          // A mount namespace of its own where every libpcap file is empty.
          const argv = (await lab.portholeArgv(["-O", "-p21", target])).slice(4);
          const hide =
            "for f in /usr/lib/*/libpcap.so* /usr/lib/libpcap.so* /lib/*/libpcap.so* /usr/local/lib/libpcap.so*; " +
            'do [ -e "$f" ] && mount --bind /dev/null "$(readlink -f "$f")"; done; exec "$@"';
          const r = await lab.runInScanner(["unshare", "-m", "sh", "-c", hide, "sh", ...argv]);
          equal(r.code, 1, r.stdout + r.stderr);
          match(r.stderr, /libpcap not found/);
          match(r.stderr, /libpcap0\.8/);
          doesNotMatch(r.stderr, /root privileges/);
        },
      });

      await t.step({
        name: "stdout closed (| head): quiet end, files still written whole",
        ignore: missingTools("python3").length > 0,
        async fn() {
          const argv = (args: string[]) => lab.portholeArgv(args).then((a) => a.slice(4));
          let r = await lab.runInScanner([
            "python3",
            "-c",
            CLOSED_STDOUT,
            ...await argv(["-sT", "-p1-2000", target]),
          ]);
          deepEqual([r.code, r.stderr], [141, ""]);

          const files = ["-oN", `${dir}/p.nmap`, "-oX", `${dir}/p.xml`];
          r = await lab.runInScanner([
            "python3",
            "-c",
            CLOSED_STDOUT,
            ...await argv(["-sT", "-p1-2000", ...files, target]),
          ]);
          deepEqual([r.code, r.stderr], [141, ""]);
          const normal = await Deno.readTextFile(`${dir}/p.nmap`);
          match(normal, /^21\/tcp +open +ftp$/m);
          match(normal, /\n# \S+ done at .* scanned in [\d.]+ seconds\n$/);
          const xml = await Deno.readTextFile(`${dir}/p.xml`);
          match(xml, /<runstats><finished [^>]*exit="success"/);
          ok(xml.endsWith("</nmaprun>\n"), xml.slice(-200));
        },
      });

      await t.step(
        "no control byte from banners, targets or input files on the terminal",
        async () => {
          const r = await lab.porthole(
            ["-sV", "--version-trace", "-d", "-p21,22,25,80,8080", target],
            { timeoutMs: 120_000 },
          );
          equal(r.code, 0, r.stderr);
          deepEqual(rawBytes(r.stdout), []);
          deepEqual(rawBytes(r.stderr), []);
          // The banners were printed, escaped: the HTTP server's ESC sequences are visible.
          match(r.stderr, /Version: \|Evil\|6\.6\|\\x1B\[5m<blink>/);

          // A target spec from the command line (no NUL can be there) and from a -iL file.
          const spec = "bad\x1b]0;owned\x07name";
          const list = `${dir}/targets`;
          await Deno.writeTextFile(list, `${target}\n${spec}\x00\n`);
          for (const args of [["-p21", spec], ["-p21", "-iL", list]]) {
            const e = await lab.porthole(["-d", ...args]);
            equal(e.code, 1, e.stderr);
            deepEqual(rawBytes(e.stdout + e.stderr), []);
            match(e.stderr, /bad\\x1B\]0;owned\\x07name/);
          }
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
