/**
 * Results are never lost (root only, lab scenario anyip16): a real SYN scan of
 * a /28 of AnyIP hosts, written to -oN, -oX, -oG and -oJ at once, is stopped
 * with SIGINT, SIGTERM, SIGHUP or SIGKILL while its second host group is
 * being scanned. Then:
 *
 * - after SIGINT, SIGTERM and SIGHUP the process ended by that very signal
 *   (so a shell loop stops), and every file is complete: the XML valid
 *   against nmap.dtd with an "interrupted" runstats, the JSON a summary line
 *   naming the signal, the normal file an "interrupted" trailer counting
 *   finished hosts only;
 * - in every file, every host written as finished has exactly the table of
 *   the uninterrupted scan (a host cut short appears only as a progress
 *   record), whatever moment the signal landed;
 * - `--resume` from each format completes the run: every host once, with the
 *   uninterrupted scan's table, in every file.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { labTest, ok, parseNmapNormal, withLab } from "./scan_lab.ts";
import { table } from "./scan_lab.ts";
import type { Lab } from "./lab/mod.ts";

const PORTS = "1-200,8000-8020";
// Four groups of four hosts at 2000 probes/s: each group scans for about
// half a second, so a signal sent while the second group is found scanning
// lands before the run could end (two more groups follow).
const ARGS = ["-sS", "-n", "-v", "--max-hostgroup", "4", "--max-rate", "2000", "-p", PORTS];
const DTD = "/usr/share/nmap/nmap.dtd";
const haveXmllint = await new Deno.Command("xmllint", { args: ["--version"], stderr: "null" })
  .output().then((r) => r.success, () => false);

type Format = "normal" | "xml" | "grepable" | "json";
const FORMATS: Format[] = ["normal", "xml", "grepable", "json"];
const EXT: Record<Format, string> = { normal: "nmap", xml: "xml", grepable: "gnmap", json: "json" };

/** Every host a file reports as finished, in file order, with its table as text. */
function reports(format: Format, text: string): [string, string][] {
  switch (format) {
    case "normal":
      return parseNmapNormal(text).map((h) =>
        [h.address, JSON.stringify([h.notShown, table(h)])] as [string, string]
      );
    case "grepable":
      return [...text.matchAll(/^Host: (\S+) \([^)]*\)\tPorts: (.*)$/gm)].map((
        m,
      ) => [m[1]!, m[2]!]);
    case "xml":
      return [...text.matchAll(/<host[\s>][\s\S]*?<\/host>/g)].map((m) => [
        /<address addr="([^"]*)" addrtype="ipv4"/.exec(m[0])![1]!,
        /<ports>[\s\S]*<\/ports>/.exec(m[0])?.[0] ?? "",
      ]);
    case "json":
      return jsonLines(text).filter((r) => r.type === "host").map((r) => [
        r.address as string,
        JSON.stringify([r.ports, r.extraPorts]),
      ]);
  }
}

/** Hosts with a progress record (cut short) in a file. */
function progressHosts(format: Format, text: string): string[] {
  if (format === "json") {
    return jsonLines(text).filter((r) => r.type === "progress").map((r) => r.address as string);
  }
  const re = format === "xml" ? /^<!-- Porthole progress for (\S+) /gm : /^# Progress for (\S+) /gm;
  return [...text.matchAll(re)].map((m) => m[1]!);
}

/** The complete lines of an NDJSON file, parsed (a line cut by SIGKILL is left out). */
function jsonLines(text: string): Record<string, unknown>[] {
  const complete = text.slice(0, text.lastIndexOf("\n") + 1);
  return complete.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

async function xmllint(path: string): Promise<void> {
  const args = ["--noout", ...(haveXmllint ? ["--dtdvalid", DTD] : []), path];
  const r = await new Deno.Command("xmllint", { args, stdout: "null", stderr: "piped" }).output();
  assert(r.success, `xmllint ${path}: ${new TextDecoder().decode(r.stderr)}`);
}

/** Runs Porthole and sends `sig` once its second host group is seen scanning
 * (an open port of it reported); returns how the process ended. With SIGHUP
 * its stdout is closed too, as when a terminal goes away. */
async function interrupt(lab: Lab, args: string[], sig: Deno.Signal, loop = false) {
  let [cmd, ...rest] = await lab.portholeArgv(args);
  if (loop) {
    // `for …; do porthole …; done` in a shell of its own process group, which
    // gets the signal as a terminal's Ctrl-C reaches its foreground group.
    rest = ["bash", "-c", LOOP, "loop", cmd!, ...rest];
    cmd = "setsid";
  }
  const child = new Deno.Command(cmd!, {
    args: rest,
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let stdout = "", sent = false;
  const dec = new TextDecoder();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    for await (const chunk of child.stdout) {
      stdout += dec.decode(chunk, { stream: true });
      if (sent) continue;
      const second = stdout.split(/^Initiating SYN Stealth Scan/m)[2];
      if (second !== undefined && /^Discovered open port /m.test(second)) {
        if (loop) Deno.kill(-child.pid, sig);
        else child.kill(sig);
        sent = true;
        // A hang-up: the terminal is gone, writes to it fail from now on.
        if (sig === "SIGHUP") break;
      }
    }
  } finally {
    clearTimeout(timer);
  }
  const status = await child.status;
  assert(sent, `the scan never reached its second group:\n${stdout}\n${await stderr}`);
  return { status, stdout, stderr: await stderr };
}

const LOOP = 'for i in 1 2; do echo "run $i"; "$@"; done; echo "after the loop"';

interface Case {
  sig: Deno.Signal;
  /** Formats resumed from (each from the same interrupted files). */
  resumeFrom: Format[];
}

const CASES: Case[] = [
  { sig: "SIGINT", resumeFrom: FORMATS },
  { sig: "SIGTERM", resumeFrom: ["normal", "json"] },
  { sig: "SIGHUP", resumeFrom: ["xml", "grepable"] },
  { sig: "SIGKILL", resumeFrom: FORMATS },
];

Deno.test(
  labTest(
    "output: after SIGINT/SIGTERM/SIGHUP/SIGKILL every file is whole and --resume completes it",
    async (t) => {
      await withLab({ tag: "sgsignals", scenario: "anyip16" }, async (lab) => {
        const dir = await Deno.makeTempDir({ prefix: "ph-sgsignals-" });
        try {
          const net = lab.anyip!.replace(/\/\d+$/, "/28");
          const files = (base: string) => ["-oA", base, "-oJ", `${base}.json`];
          const path = (base: string, f: Format) => `${base}.${EXT[f]}`;

          // The uninterrupted scan: the expected table of each host, per format.
          const clean = `${dir}/clean`;
          const full = ok(
            await lab.porthole([...ARGS, ...files(clean), net], { timeoutMs: 120_000 }),
            "clean scan",
          );
          assertEquals(full.match(/^Host is up/gm)?.length, 16, full);
          const want = {} as Record<Format, Map<string, string>>;
          for (const f of FORMATS) {
            want[f] = new Map(reports(f, await Deno.readTextFile(path(clean, f))));
            assertEquals(want[f].size, 16, `${f}: ${[...want[f].keys()]}`);
          }
          const hosts = [...want.xml.keys()].sort();
          let cutShort = 0;

          await t.step("a shell loop stops on one Ctrl-C", async () => {
            const r = await interrupt(lab, [...ARGS, net], "SIGINT", true);
            assert(/^run 1$/m.test(r.stdout), r.stdout);
            assert(!/^run 2$|^after the loop$/m.test(r.stdout), r.stdout);
            assertEquals(r.status.signal, "SIGINT", r.stderr);
          });

          for (const { sig, resumeFrom } of CASES) {
            await t.step(`${sig}, resumed from ${resumeFrom.join(", ")}`, async () => {
              const base = `${dir}/${sig}`;
              const { status, stderr } = await interrupt(lab, [...ARGS, ...files(base), net], sig);
              const graceful = sig !== "SIGKILL";

              const text = {} as Record<Format, string>;
              for (const f of FORMATS) text[f] = await Deno.readTextFile(path(base, f));
              const finished = reports("xml", text.xml).map(([a]) => a);
              const unfinished = progressHosts("xml", text.xml);
              cutShort += unfinished.length;
              for (const f of FORMATS) {
                // Written as finished means finished: the uninterrupted scan's table.
                const rs = reports(f, text[f]);
                for (const [a, tbl] of rs) assertEquals(tbl, want[f].get(a), `${f}: ${a}`);
                const addrs = rs.map(([a]) => a);
                assertEquals(addrs.length, new Set(addrs).size, `${f}: a host twice`);
                if (!graceful) continue;
                // Every file tells the same story: finished hosts and cut-short ones apart.
                assertEquals(addrs, finished, f);
                assertEquals(progressHosts(f, text[f]), unfinished, f);
                assert(unfinished.every((a) => !finished.includes(a)), text[f]);
              }
              assert(finished.length < 16, `${sig} landed after the scan: ${text.normal}`);
              if (graceful) {
                // Complete files saying the run was interrupted, counting finished hosts only.
                await xmllint(path(base, "xml"));
                assert(
                  text.xml.includes(`exit="error" errormsg="Interrupted by ${sig}`) &&
                    text.xml.includes(
                      `<hosts up="${finished.length}" down="0" total="${finished.length}"/>`,
                    ),
                  text.xml.slice(-600),
                );
                const n = unfinished.length;
                const trailer = new RegExp(
                  `^# Porthole interrupted by ${sig} at .* -- ${finished.length} IP address(es)? ` +
                    `\\(${finished.length} hosts? up\\) scanned in [\\d.]+ seconds` +
                    (n ? `; ${n} hosts? not finished` : "") + "\\n$",
                  "m",
                );
                assert(trailer.test(text.normal), text.normal.slice(-400));
                const last = jsonLines(text.json).at(-1)!;
                assertEquals([last.type, last.interrupted, last.signal, last.unfinishedHosts], [
                  "summary",
                  true,
                  sig,
                  n,
                ]);
                for (const line of text.grepable.split("\n")) {
                  assert(line === "" || /^(# |Host: )/.test(line), line);
                }
              }

              for (const from of resumeFrom) {
                // Each resume starts from the interrupted files as they were.
                for (const f of FORMATS) await Deno.writeTextFile(path(base, f), text[f]);
                const r = await lab.porthole(["--resume", path(base, from)], {
                  timeoutMs: 120_000,
                });
                ok(r, `--resume ${from}`);
                for (const f of FORMATS) {
                  const after = await Deno.readTextFile(path(base, f));
                  const rs = reports(f, after);
                  const last = new Map(rs);
                  assertEquals([...last.keys()].sort(), hosts, `${from} → ${f}: every host`);
                  for (const [a, tbl] of last) {
                    assertEquals(tbl, want[f].get(a), `${from} → ${f}: ${a}`);
                  }
                  // Once each (after SIGKILL, a host may sit in one file and not yet in another).
                  if (graceful || f === from) {
                    assertEquals(rs.length, 16, `${from} → ${f}: a host twice`);
                  }
                }
                await xmllint(path(base, "xml"));
              }
              // Ended by the signal itself (a shell's `for` loop stops on it).
              assertEquals(status.signal, sig, stderr);
            });
          }
          // Some signal landed inside a host: the unfinished path was exercised.
          assert(cutShort > 0, "no host was ever cut short");
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      });
    },
  ),
);
