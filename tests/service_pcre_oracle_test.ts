/**
 * Differential test of the PCRE translation against Perl's regex engine (the
 * origin of PCRE's syntax) on nmap's own match lines: for each pattern, a
 * subject is generated from our parse of it, and Perl, the JavaScript
 * translation and the interpreter must agree on whether it matches and on
 * every capture's offsets. A misreading of the pattern by our parser shows
 * up as Perl refusing the generated subject or capturing elsewhere.
 *
 * Also prints what share of nmap's match lines compile (floor asserted).
 */

import { assert } from "./testing/assert.ts";
import { allRules, parseProbeDb } from "../cli/service/probe_db.ts";
import { type Node, parsePcre, type Pattern, toJsRegExp } from "../cli/service/pcre.ts";
import { compileVm, MatchLimitError } from "../cli/service/pcre_vm.ts";
import { CompiledRegex, makeSubject } from "../cli/service/regex.ts";
import { latin1Decode } from "../cli/service/db.ts";

const NMAP_DB = "/usr/share/nmap/nmap-service-probes";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function hasPerl(): Promise<boolean> {
  try {
    const r = await new Deno.Command("perl", { args: ["-e", "1"], stdout: "null", stderr: "null" })
      .output();
    return r.success;
  } catch {
    return false;
  }
}

/** A small seeded PRNG (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Generates bytes that the pattern (as we parsed it) should match. */
function generate(p: Pattern, rand: () => number): number[] {
  const out: number[] = [];
  const caps = new Map<number, number[]>();
  const pick = (n: Node & { t: "set" }): number => {
    const members: number[] = [];
    for (let c = 0; c < 256; c++) if ((n.set[c >> 5]! >>> (c & 31)) & 1) members.push(c);
    const printable = members.filter((c) => c >= 0x20 && c < 0x7f && c !== 0x0a);
    const from = printable.length && rand() < 0.9 ? printable : members;
    return from[Math.floor(rand() * from.length)] ?? 0x41;
  };
  const gen = (n: Node): void => {
    switch (n.t) {
      case "set":
        out.push(pick(n));
        return;
      case "seq":
        for (const it of n.items) gen(it);
        return;
      case "alt":
        gen(n.alts[Math.floor(rand() * n.alts.length)]!);
        return;
      case "group": {
        const start = out.length;
        gen(n.body);
        if (n.cap) caps.set(n.cap, out.slice(start));
        return;
      }
      case "atomic":
        gen(n.body);
        return;
      case "repeat": {
        const extra = Math.min(n.max - n.min, 3);
        const count = n.min + Math.floor(rand() * (extra + 1));
        for (let i = 0; i < Math.min(count, 200); i++) gen(n.body);
        return;
      }
      case "backref":
        out.push(...(caps.get(n.n) ?? []));
        return;
      default:
        return; // assertions and lookarounds add nothing
    }
  };
  gen(p.root);
  return out;
}

const hex = (b: ArrayLike<number>) =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

const PERL = String.raw`
use strict; use warnings; no warnings 'regexp';
$| = 1;
while (my $line = <STDIN>) {
  chomp $line;
  my ($flags, $phex, $shex) = split /\t/, $line, -1;
  my $pat = pack("H*", $phex); my $subj = pack("H*", $shex);
  my $re = eval { length($flags) ? qr/(?$flags)$pat/ : qr/$pat/ };
  if (!defined $re) { print "E\n"; next; }
  if ($subj =~ $re) {
    my @o;
    for my $i (0 .. $#-) { push @o, (defined $-[$i] ? ($-[$i], $+[$i]) : (-1, -1)); }
    print "1 @o\n";
  } else { print "0\n"; }
}`;

Deno.test({
  name: "pcre oracle: nmap's match lines, Perl vs our translation and interpreter",
  ignore: !(await exists(NMAP_DB)) || !(await hasPerl()),
  async fn() {
    const db = parseProbeDb(latin1Decode(await Deno.readFile(NMAP_DB)), NMAP_DB);
    const rules = allRules(db);
    const rand = rng(20240401);
    type Case = {
      line: number;
      pattern: string;
      flags: string;
      subject: number[];
      p: Pattern;
      whole: boolean;
    };
    const cases: Case[] = [];
    let parsed = 0, jsCompiled = 0;
    for (const r of rules) {
      let p: Pattern;
      try {
        p = parsePcre(r.pattern, r.options);
      } catch {
        continue;
      }
      parsed++;
      try {
        const t = toJsRegExp(p);
        new RegExp(t.source, "d");
        jsCompiled++;
      } catch { /* counted below */ }
      // Every line gets one generated subject; one in ten a truncated one as well.
      const subject = generate(p, rand);
      cases.push({ line: r.line, pattern: r.pattern, flags: r.options, subject, p, whole: true });
      if (rand() < 0.1 && subject.length > 2) {
        cases.push({
          line: r.line,
          pattern: r.pattern,
          flags: r.options,
          subject: subject.slice(0, Math.floor(subject.length / 2)),
          p,
          whole: false,
        });
      }
    }
    const share = (n: number) => (100 * n / rules.length).toFixed(2);
    console.log(
      `nmap-service-probes: ${rules.length} match lines; ${parsed} (${share(parsed)}%) parse, ` +
        `${jsCompiled} (${share(jsCompiled)}%) compile as JavaScript RegExp`,
    );
    assert(parsed / rules.length >= 0.95, "at least 95% of nmap's match lines must compile");
    assert(jsCompiled / rules.length >= 0.95, "at least 95% must translate to JavaScript");

    const perl = new Deno.Command("perl", { args: ["-e", PERL], stdin: "piped", stdout: "piped" })
      .spawn();
    const input = cases.map((c) =>
      `${c.flags}\t${hex(Array.from(c.pattern, (ch) => ch.charCodeAt(0)))}\t${hex(c.subject)}\n`
    ).join("");
    const writer = perl.stdin.getWriter();
    const writing = writer.write(new TextEncoder().encode(input)).then(() => writer.close());
    const out = await perl.output();
    await writing;
    const answers = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
    assert(answers.length === cases.length, `perl answered ${answers.length} of ${cases.length}`);

    let compared = 0, perlMatched = 0, whole = 0, wholeMatched = 0;
    const limited: string[] = [];
    const bad: string[] = [];
    cases.forEach((c, i) => {
      const a = answers[i]!;
      if (a === "E") return; // Perl rejects a few PCRE-only constructs
      compared++;
      const want = a === "0" ? null : a.slice(2).split(" ").map(Number);
      if (want) perlMatched++;
      if (c.whole) {
        whole++;
        if (want) wholeMatched++;
      }
      const subject = Uint8Array.from(c.subject);
      let vm: Int32Array | null;
      try {
        vm = compileVm(c.p).exec(subject, 5_000_000);
      } catch (e) {
        if (!(e instanceof MatchLimitError)) throw e;
        limited.push(
          `line ${c.line} (${c.subject.length} bytes, perl: ${a === "0" ? "no match" : "match"})`,
        );
        return;
      }
      const gotVm = vm ? Array.from(vm) : null;
      // Perl's @- stops at the last group that took part; drop our trailing unset pairs.
      const norm = (x: number[] | null) => {
        if (x === null) return "no match";
        const y = [...x];
        while (y.length > 2 && y[y.length - 1] === -1 && y[y.length - 2] === -1) y.length -= 2;
        return y.join(",");
      };
      if (norm(gotVm) !== norm(want)) {
        bad.push(`line ${c.line} vm: perl ${norm(want)} vs ${norm(gotVm)}`);
        return;
      }
      const re = new CompiledRegex(c.p);
      if (re.linearSafe) {
        const m = re.exec(makeSubject(subject));
        const gotJs = m ? Array.from(m) : null;
        if (norm(gotJs) !== norm(want)) {
          bad.push(`line ${c.line} js: perl ${norm(want)} vs ${norm(gotJs)}`);
        }
      }
    });
    console.log(
      `oracle: ${compared} subjects compared with Perl (${perlMatched} matched); ${bad.length} disagreements`,
    );
    for (const b of bad.slice(0, 20)) console.log("  " + b);
    if (limited.length) console.log(`interpreter step limit reached on: ${limited.join("; ")}`);
    assert(wholeMatched / whole > 0.9, "generated subjects should mostly match");
    assert(bad.length === 0, `${bad.length} disagreements with Perl`);
  },
});
