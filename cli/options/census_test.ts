/**
 * The census of nmap's options (issue 20): every option of nmap 7.93 — its long option table, its
 * getopt letters, and the letters of -s and -P, recorded in tests/data/nmap_7.93_options.txt — is
 * read by Porthole, and the ones Porthole refuses are exactly those README.md lists, each with
 * its reason. The README is the one list: implementing a refused option makes this test fail
 * until its README line goes, and refusing one needs a README line saying why.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { haveTool } from "../../tests/_oracle.ts";
import { type ArgKind, NMAP_LONG, SHORT } from "./getopt_table.ts";
import { readCommandLine } from "./parse.ts";
import { parseOptions } from "./mod.ts";

type Entry = { kind: "long" | "short" | "s" | "P"; name: string; arg?: ArgKind };

const RECORDED = new URL("../../tests/data/nmap_7.93_options.txt", import.meta.url);
const README = new URL("../../README.md", import.meta.url);
const NMAP_MAN = "/usr/share/man/man1/nmap.1.gz";
const NMAP_BIN = "/usr/bin/nmap";

/** nmap 7.93's options, as recorded from its nmap.cc. */
function recordedOptions(): Entry[] {
  const out: Entry[] = [];
  for (const line of Deno.readTextFileSync(RECORDED).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const [kind, name, arg] = line.split(" ") as [Entry["kind"], string, string | undefined];
    const getopt = { no: "none", required: "required", optional: "optional" } as const;
    out.push({ kind, name, arg: arg ? getopt[arg as keyof typeof getopt] : undefined });
  }
  return out;
}

/** How an nmap user writes the option: `--max-retries`, `-iL` (two letters, one dash), `-sV`. */
function spelling(e: Entry): string {
  if (e.kind === "long") return e.name.length === 2 ? `-${e.name}` : `--${e.name}`;
  if (e.kind === "short") return `-${e.name}`;
  return e.kind === "P" && e.name === "-" ? "-P" : `-${e.kind}${e.name}`;
}

/** A command line using the option once, with a harmless argument where it takes one. */
function argvOf(e: Entry): string[] {
  const short = e.kind === "short" ? SHORT[e.name] : undefined;
  return e.arg === "required" || short === "required" ? [spelling(e), "1"] : [spelling(e)];
}

/** What Porthole says to the option alone: undefined when it takes it, else its refusal. */
function refusal(e: Entry): string | undefined {
  try {
    readCommandLine(argvOf(e), "porthole", new Date(0));
    return undefined;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    // "1" may be a bad value for the option (nmap's own checks); only Porthole's refusals count.
    return err.message.startsWith("Porthole does not") ? err.message : undefined;
  }
}

/**
 * README.md's list of refused options: `- \`-iR\`: why` lines under its heading; an entry with a
 * space (`- \`-6 -sI\`: why`) is a combination of options nmap takes that Porthole does not.
 */
function readmeRefusals(): Map<string, string> {
  const text = Deno.readTextFileSync(README);
  const at = text.indexOf("\n### nmap options Porthole refuses\n");
  ok(at >= 0, 'README.md has no "### nmap options Porthole refuses" section');
  const section = text.slice(at + 1).split(/\n#{2,3} /)[0]!;
  const out = new Map<string, string>();
  for (const item of section.split(/\n(?=- `)/).filter((l) => l.startsWith("- `"))) {
    const m = item.match(/^- ((?:`[^`]+`(?:, )?)+): (.+)/s);
    ok(m, `README refusal line not in the form "- \`-x\`: reason": ${item}`);
    for (const o of m[1]!.matchAll(/`([^`]+)`/g)) out.set(o[1]!, m[2]!.replace(/\s+/g, " "));
  }
  return out;
}

Deno.test("census: the recorded list is nmap 7.93's tokeniser table, name for name and in order", () => {
  const recorded = recordedOptions();
  const long = recorded.filter((e) => e.kind === "long").map((e) => [e.name, e.arg]);
  // Porthole's own long options follow nmap's (getopt_table.ts); the order decides prefixes.
  deepEqual(NMAP_LONG.slice(0, long.length), long);
  const short = recorded.filter((e) => e.kind === "short").map((e) => e.name);
  deepEqual(Object.keys(SHORT).sort(), [...short].sort());
});

/** The options of nmap 7.93 Porthole refuses, by spelling, with its message. */
function refusedOptions(): Map<string, string> {
  const refused = new Map<string, string>();
  for (const e of recordedOptions()) {
    const why = refusal(e);
    if (why !== undefined) refused.set(spelling(e), why);
  }
  return refused;
}

/** README's refusals of one option (not combinations). */
const readmeSingles = () =>
  new Map([...readmeRefusals()].filter(([option]) => !option.includes(" ")));

Deno.test("census: every nmap option is read, and the refused ones are README's list", () => {
  const documented = readmeSingles();
  deepEqual(
    [...refusedOptions().keys()].sort(),
    [...documented.keys()].sort(),
    "options Porthole refuses (left) and README.md's list of refusals (right)",
  );
  for (const [option, reason] of documented) ok(reason.length >= 10, `${option}: no reason`);
});

Deno.test("census: a refusal is one line naming the option", () => {
  for (const [option, why] of refusedOptions()) {
    equal(why.split("\n").length, 1, why);
    // --proxy is refused as --proxies, the name nmap documents.
    ok(why.includes(option === "--proxy" ? "--proxies" : option), `${option}: ${why}`);
  }
});

Deno.test({
  name: "census: the recorded list has every option the installed nmap's man page describes",
  ignore: !haveTool(NMAP_MAN),
  fn: async () => {
    const gz = (await Deno.open(NMAP_MAN)).readable.pipeThrough(new DecompressionStream("gzip"));
    const man = await new Response(gz).text();
    // Entries open with .PP then the option in bold: "\fB\-\-allports\fR (Don't …)".
    const described = new Set<string>();
    const lines = man.split("\n");
    lines.forEach((line, i) => {
      if (lines[i - 1] !== ".PP" || !line.startsWith("\\fB\\-")) return;
      const plain = line.replace(/\\f[BIR]/g, "").replace(/\\-/g, "-").replace(/\\&/g, "");
      for (const m of plain.matchAll(/(?:^|[;,] )(--?[A-Za-z0-9][-A-Za-z0-9]*)/g)) {
        described.add(m[1]!);
      }
    });
    ok(described.size > 100, `only ${described.size} options found in the man page`);
    const recorded = new Set(recordedOptions().map(spelling));
    const known = (o: string) =>
      recorded.has(o) || recorded.has(o.replace(/^--/, "-")) ||
      // -PS22 style: a -P letter with its ports; -T4, -vlevel, -dlevel
      /^-P[A-Z]/.test(o) && recorded.has(o.slice(0, 3)) || /^-[Tdv]/.test(o);
    deepEqual([...described].filter((o) => !known(o)), []);
  },
});

Deno.test({
  name: "census: every recorded long option is a name in the installed nmap binary",
  ignore: !haveTool(NMAP_BIN),
  fn: () => {
    const bin = new TextDecoder("latin1").decode(Deno.readFileSync(NMAP_BIN));
    const missing = recordedOptions().filter((e) =>
      e.kind === "long" && !bin.includes(`${e.name}\0`)
    );
    deepEqual(missing, []);
  },
});

/** What Porthole says to `argv` with a target: its refusal, else its warnings. */
function answerTo(argv: string[]): { refusal?: string; warnings: string[] } {
  const target = argv.includes("-6") ? "::1" : "127.0.0.1";
  try {
    return { warnings: parseOptions([...argv, target], { skipFileChecks: true }).warnings ?? [] };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return { refusal: err.message, warnings: [] };
  }
}

/** The parser's own words for what nmap does and Porthole does not: its string literals. */
function portholeRefusalsInSource(): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(new URL(".", import.meta.url))) {
    if (!e.name.endsWith(".ts") || e.name.endsWith("_test.ts")) continue;
    const text = Deno.readTextFileSync(new URL(e.name, import.meta.url));
    for (const m of text.matchAll(/"((?:Porthole does not|WARNING: [^"]*Porthole's)[^"]*)"/g)) {
      out.push(m[1]!);
    }
  }
  return out.sort();
}

Deno.test("census: each combination README names is refused, or dropped with a warning, as it says", () => {
  const combos = [...readmeRefusals().keys()].filter((o) => o.includes(" "));
  ok(combos.length > 0, "README names no combination");
  for (const combo of combos) {
    // An option's argument: -sI needs its zombie.
    const argv = combo.split(" ").flatMap((o) => o === "-sI" ? [o, "127.0.0.2"] : [o]);
    const { refusal, warnings } = answerTo(argv);
    const said = refusal ?? warnings.find((w) => w.includes("Porthole"));
    ok(said !== undefined, `${combo}: taken without a word`);
    equal(said.split("\n").length, 1, said);
  }
});

Deno.test("census: every refusal or warning of the parser naming Porthole's limits is in README", () => {
  const said = new Set<string>();
  for (const option of readmeRefusals().keys()) {
    const argv = option.split(" ").flatMap((o) => o === "-sI" ? [o, "127.0.0.2"] : [o]);
    const { refusal, warnings } = answerTo(option.includes(" ") ? argv : [...argv, "1"]);
    if (refusal) said.add(refusal);
    for (const w of warnings) said.add(w);
  }
  // The refusal of options Porthole lacks is one template (parse.ts), checked option by option above.
  deepEqual(portholeRefusalsInSource().filter((m) => !said.has(m)), []);
});

/** The text of every test file of the tree (unit tests beside their code, lab tests). */
function allTests(): string {
  const texts: string[] = [];
  const walk = (dir: URL) => {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isDirectory && e.name !== "node_modules" && !e.name.startsWith(".")) {
        walk(new URL(`${e.name}/`, dir));
      } else if (e.isFile && e.name.endsWith("_test.ts")) {
        texts.push(Deno.readTextFileSync(new URL(e.name, dir)));
      }
    }
  };
  for (const dir of ["cli/", "tests/"]) walk(new URL(`../../${dir}`, import.meta.url));
  return texts.join("\n");
}

Deno.test("census: every option of nmap 7.93 is written in some test, as an nmap user writes it", () => {
  const tests = allTests();
  const untested = recordedOptions().map(spelling).filter((o) => {
    const quoted = o.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    // A -P letter may carry its ports ("-PS22", "-PB80"), a long option its "=value".
    const after = /^-[PS]\w?$/i.test(o) ? "(?![A-Za-z-])" : "(?![A-Za-z0-9-])";
    return !new RegExp(`["'\`\\s(\\[]${quoted}${after}`).test(tests);
  });
  deepEqual(untested, []);
});
