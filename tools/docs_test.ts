import { deepEqual, equal, ok } from "node:assert/strict";
import { helpSections, helpText } from "../cli/help.ts";
import { NMAP_LONG, SHORT, UNSUPPORTED_LONG } from "../cli/options/mod.ts";
import { bashCompletion, fishCompletion, manPage, zshCompletion } from "./docs.ts";

const spellings = helpSections().flatMap((s) => s.options.flatMap((o) => o.spellings));

async function have(cmd: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`] })
      .output();
    return success;
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[], env?: Record<string, string>) {
  const r = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

/** `word` as a whole word of `text` (-T stands in -T0 … -T5, -PS in -PS[portlist]). */
function hasWord(text: string, word: string): boolean {
  const esc = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[\\s'"|(,>])${esc}(?![A-Za-z]|-[A-Za-z])`, "m").test(text);
}

/** Options the parser takes that --help leaves out on purpose, and why. */
const NOT_LISTED: Record<string, string> = {
  version: "shown as -V",
  help: "shown as -h",
  verbose: "shown as -v",
  vv: "shown as -v",
  debug: "shown as -d",
  timing: "shown as -T",
  fuzzy: "nmap's old name of --osscan-guess",
  M: "nmap's old name of --max-parallelism",
  oM: "deprecated for -oG",
  m: "deprecated for -oG",
  "log-errors": "nmap accepts and ignores it",
  q: "nmap accepts and ignores it",
  I: "nmap accepts and ignores it",
  ff: "nmap's -ff (two -f), which its --help leaves out",
  proxy: "nmap's other name of --proxies, which its --help leaves out",
  oH: "refused with a message",
  iR: "refused with a message",
  rH: "refused with a message",
  thc: "refused with a message",
  // nmap's rare options: its --help leaves them out (its man page has them), so Porthole's does too.
  "release-memory": "not in nmap's --help",
  nogcc: "not in nmap's --help",
  "defeat-rst-ratelimit": "not in nmap's --help",
  "nsock-engine": "not in nmap's --help",
  "discovery-ignore-rst": "not in nmap's --help",
  allports: "not in nmap's --help",
  "deprecated-xml-osclass": "not in nmap's --help",
  adler32: "not in nmap's --help",
  "route-dst": "not in nmap's --help",
};

Deno.test("docs: the option table is --help's, and it lists every option the parser offers", () => {
  ok(spellings.length > 80, `only ${spellings.length} options parsed from --help`);
  const help = helpText();
  // "-sS/sT" names -sT too.
  const named = (s: string) =>
    hasWord(help, s) || help.includes(`/${s}`) || help.includes(`/${s.replace(/^-+/, "")}`);
  for (const s of spellings) ok(named(s), `--help lacks ${s}`);
  // The parser's table (nmap's long options; some of nmap's are refused with a message).
  const missing = NMAP_LONG.map(([name]) => name)
    .filter((name) => !(name in UNSUPPORTED_LONG))
    .filter((name) => !(name in NOT_LISTED))
    .filter((name) => !spellings.includes(`--${name}`) && !spellings.includes(`-${name}`));
  deepEqual(
    missing,
    [],
    `the parser takes these and --help (so the man page) does not list them: ${missing.join(" ")}`,
  );
  const shortMissing = Object.keys(SHORT).filter((c) => !(c in NOT_LISTED)).filter((c) =>
    !spellings.some((s) => s === `-${c}` || s.startsWith(`-${c}`))
  );
  deepEqual(shortMissing, [], "short options the parser takes and --help does not list");
});

Deno.test("docs: every option of the table is in the man page and in each completion", () => {
  const man = manPage().replaceAll("\\-", "-").replaceAll(/\\f[BIR]/g, "");
  const bash = bashCompletion();
  const zsh = zshCompletion();
  const fish = fishCompletion();
  for (const s of spellings) {
    ok(hasWord(man, s), `man page lacks ${s}`);
    ok(hasWord(bash, s), `bash completion lacks ${s}`);
    ok(hasWord(zsh, s), `zsh completion lacks ${s}`);
    // fish: -l a long option, -s one letter, -o a word after one dash (-sS, -T0 … -T5).
    const flag = s.startsWith("--")
      ? `-l ${s.slice(2)}`
      : `(-s ${s.slice(1)}|-o ${s.slice(1)}\\d?)`;
    ok(new RegExp(`^complete -c porthole ${flag}\\s`, "m").test(fish), `fish lacks ${s}`);
  }
});

Deno.test({
  name: "docs: man -l renders porthole.1 with every option",
  ignore: !(await have("man")),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ph-docs-" });
    try {
      await Deno.writeTextFile(`${dir}/porthole.1`, manPage());
      const r = await run("man", ["-l", `${dir}/porthole.1`], {
        MANWIDTH: "100",
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      });
      equal(r.code, 0, r.stderr);
      equal(r.stderr.replace(/^.*(can't set the locale|setlocale).*\n/gm, ""), "");
      const text = r.stdout; // man-db writes plain text when stdout is no terminal
      ok(text.includes("PORTHOLE(1)"), text.slice(0, 200));
      for (const s of spellings) ok(hasWord(text, s), `rendered man page lacks ${s}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("docs: the bash completion parses and completes options, files after -iL", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ph-docs-" });
  try {
    await Deno.writeTextFile(`${dir}/porthole.bash`, bashCompletion());
    await Deno.writeTextFile(`${dir}/targets.txt`, "");
    const complete = (words: string) =>
      run("bash", [
        "-c",
        `cd ${dir} && source ./porthole.bash && COMP_WORDS=(${words}) && ` +
        'COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && _porthole && printf "%s\\n" "${COMPREPLY[@]}"',
      ]);
    const opts = await complete("porthole -s");
    equal(opts.code, 0, opts.stderr);
    for (const s of ["-sS", "-sT", "-sU", "-sV", "-sn"]) ok(opts.stdout.includes(`${s}\n`), s);
    const files = await complete("porthole -iL tar");
    equal(files.stdout, "targets.txt\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (
  const [shell, args, text] of [
    ["zsh", ["-n"], zshCompletion],
    ["fish", ["--no-execute"], fishCompletion],
  ] as const
) {
  Deno.test({
    name: `docs: the ${shell} completion parses`,
    ignore: !(await have(shell)),
    async fn() {
      const file = await Deno.makeTempFile({ prefix: "ph-docs-" });
      try {
        await Deno.writeTextFile(file, text());
        const r = await run(shell, [...args, file]);
        equal(r.code, 0, r.stderr);
        equal(r.stderr, "");
      } finally {
        await Deno.remove(file);
      }
    },
  });
}
