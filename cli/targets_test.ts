import { assert, assertEquals, assertRejects, assertThrows } from "../tests/testing/assert.ts";
import {
  buildExcludeSet,
  countAddresses,
  ExcludeSet,
  expandLiteralExpressions,
  expandTargetBatches,
  expandTargets,
  formatIpv6,
  type Ipv4Ranges,
  type Ipv6Block,
  parseIpv6,
  parseTargetExpression,
  preflightTargets,
  readHostSpecs,
  type Target,
  walkAddresses,
} from "./targets.ts";
import type { Resolver } from "./dns.ts";
import { UsageError } from "./errors.ts";
import { missingTools } from "../tests/_oracle.ts";

const list = (exprs: string[], family: 4 | 6 = 4) => [...expandLiteralExpressions(exprs, family)];

Deno.test("IPv4: literals, CIDR, nmap octet ranges and wildcards", () => {
  assertEquals(list(["192.168.0.1"]), ["192.168.0.1"]);
  assertEquals(list(["10.0.0.0/30"]), ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3"]);
  assertEquals(list(["10.0.0-1.1,3"]), ["10.0.0.1", "10.0.0.3", "10.0.1.1", "10.0.1.3"]);
  assertEquals(list(["10.0.0.-2"]), ["10.0.0.0", "10.0.0.1", "10.0.0.2"]);
  assertEquals(list(["10.0.0.254-"]), ["10.0.0.254", "10.0.0.255"]);
  assertEquals(list(["192.168.*.1"]).length, 256);
  assertEquals(list(["192.168.*.1"])[255], "192.168.255.1");
  // A netmask widens ranges blockwise, as nmap's apply_ipv4_netmask does.
  assertEquals(list(["10.0.0.5/31"]), ["10.0.0.4", "10.0.0.5"]);
  assertEquals(list(["10.0.0.1,7/30"]), [
    "10.0.0.0",
    "10.0.0.1",
    "10.0.0.2",
    "10.0.0.3",
    "10.0.0.4",
    "10.0.0.5",
    "10.0.0.6",
    "10.0.0.7",
  ]);
});

Deno.test("huge ranges stream: /0 is counted, not expanded", () => {
  const e = parseTargetExpression("0.0.0.0/0", 4) as Ipv4Ranges;
  assertEquals(countAddresses(e), 4294967296n);
  const it = walkAddresses(e);
  assertEquals([it.next().value, it.next().value, it.next().value], [
    "0.0.0.0",
    "0.0.0.1",
    "0.0.0.2",
  ]);
  const v6 = parseTargetExpression("2001:db8::/32", 6) as Ipv6Block;
  assertEquals(countAddresses(v6), 1n << 96n);
  const it6 = walkAddresses(v6);
  assertEquals([it6.next().value, it6.next().value], ["2001:db8::", "2001:db8::1"]);
});

Deno.test("IPv6: parsing, CIDR and inet_ntop formatting", () => {
  assertEquals(list(["2001:db8::/126"], 6), [
    "2001:db8::",
    "2001:db8::1",
    "2001:db8::2",
    "2001:db8::3",
  ]);
  const f = (s: string) => formatIpv6(parseIpv6(s)!.value);
  assertEquals(f("::"), "::");
  assertEquals(f("::1"), "::1");
  assertEquals(f("2001:0DB8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
  assertEquals(f("1:0:0:1:0:0:0:1"), "1:0:0:1::1"); // the longest run
  assertEquals(f("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4"); // the first of equal runs
  assertEquals(f("1:0:2:3:4:5:6:7"), "1:0:2:3:4:5:6:7"); // a single zero stays
  assertEquals(f("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
  assertEquals(f("::1.2.3.4"), "::1.2.3.4");
  assertEquals(f("1::"), "1::");
  assertEquals(list(["fe80::1%eth0"], 6), ["fe80::1%eth0"]);
  assertEquals(parseIpv6("1:2:3:4:5:6:7:8:9"), undefined);
  assertEquals(parseIpv6("1::2::3"), undefined);
  assertEquals(parseIpv6("12345::"), undefined);
});

Deno.test("malformed expressions are refused with one clear message", () => {
  const bad: [string, 4 | 6, string][] = [
    ["10.0.0.256", 4, "not an IPv4 address or range"],
    ["10.0.0.5-3", 4, "not an IPv4 address or range"],
    ["10.0.0", 4, "not an IPv4 address or range"],
    ["10.0.0.1/33", 4, 'Illegal netmask in "10.0.0.1/33". Must be between 0 and 32.'],
    ["10.0.0.1/x", 4, 'Unable to split netmask from target expression: "10.0.0.1/x"'],
    ["::1/129", 6, "Must be between 0 and 128"],
    ["::1", 4, "::1 looks like an IPv6 target specification -- you have to use the -6 option."],
    ["1.2.3.4", 6, "looks like an IPv4 target specification"],
    ["exa mple", 4, "not an address, network or host name"],
    ["-", 4, "Bare '-': did you put a space between '--'?"],
    ["host..name", 4, "not an address, network or host name"],
  ];
  for (const [e, fam, msg] of bad) {
    assertThrows(() => parseTargetExpression(e, fam), UsageError, msg);
  }
  assertEquals(parseTargetExpression("scanme.nmap.org/24", 4), {
    kind: "name",
    name: "scanme.nmap.org",
    bits: 24,
  });
});

Deno.test("exclusions are checked per address", () => {
  const x = new ExcludeSet();
  x.add(parseTargetExpression("10.0.0.0/24", 4) as Ipv4Ranges);
  x.add(parseTargetExpression("192.168.1-2.7", 4) as Ipv4Ranges);
  x.add(parseTargetExpression("2001:db8::/64", 6) as Ipv6Block);
  assert(x.has("10.0.0.77") && x.has("192.168.2.7") && x.has("2001:db8::ffff"));
  assert(!x.has("10.0.1.1") && !x.has("192.168.3.7") && !x.has("2001:db9::"));
});

Deno.test("exclusions as merged ranges agree with the expressions, address by address", () => {
  const specs = [
    "10.0.0-5.1-254",
    "10.0.7.0/25",
    "10.0.7.128/25", // merges with the one before
    "10.1.*.3,5-6", // 512 ranges under 10.1.0.0/16
    "10.2.0-1.*", // one range: the whole 10.2.0.0/23
    "10.0.9.1,3-5/30",
  ];
  const x = new ExcludeSet();
  for (const s of specs) x.add(parseTargetExpression(s, 4) as Ipv4Ranges);
  x.add(parseTargetExpression("*.*.*.77", 4) as Ipv4Ranges); // too scattered: kept as octet sets
  const members = new Set(specs.flatMap((s) => list([s])));
  for (const a of walkAddresses(parseTargetExpression("10.0.0-10.*", 4) as Ipv4Ranges)) {
    assertEquals(x.has(a), members.has(a) || a.endsWith(".77"), a);
  }
  for (const a of walkAddresses(parseTargetExpression("10.1-2.0-2.*", 4) as Ipv4Ranges)) {
    assertEquals(x.has(a), members.has(a) || a.endsWith(".77"), a);
  }
  assert(x.has("0.0.0.77") && x.has("255.255.255.77") && !x.has("255.255.255.78"));
  assert(x.hasV4(10, 0, 5, 254) && !x.hasV4(10, 0, 5, 255) && !x.hasV4(10, 0, 6, 1));
  // 6 + 1 (the two /25s) + 512 + 1 + 1 pattern + 2 (10.0.9.0/30 and .4/30 merge: 10.0.9.0-7)
  assertEquals(x.size, 6 + 1 + 512 + 1 + 1 + 1);
  const all = new ExcludeSet();
  all.add(parseTargetExpression("*.*.*.*", 4) as Ipv4Ranges);
  assert(all.has("0.0.0.0") && all.has("255.255.255.255"));
  assertEquals(all.size, 1);
  const v6 = new ExcludeSet();
  v6.add(parseTargetExpression("2001:db8::/64", 6) as Ipv6Block);
  v6.add(parseTargetExpression("2001:db8:0:1::/64", 6) as Ipv6Block); // adjacent: merges
  v6.add(parseTargetExpression("2001:db8::5", 6) as Ipv6Block); // inside: merges
  v6.add(parseTargetExpression("::1", 6) as Ipv6Block);
  assertEquals(v6.size, 2);
  assert(v6.has("2001:db8:0:1:ffff:ffff:ffff:ffff") && v6.has("::1"));
  assert(!v6.has("2001:db8:0:2::") && !v6.has("::2") && !v6.has("::"));
});

Deno.test("a 200k-line --excludefile is stored as merged ranges, not as 200k expressions", async () => {
  // 200,000 lines: the even addresses from 10.0.0.0 (200,000 ranges that cannot merge); then
  // the odd ones between them, as plain lines and CIDR /32s, and one name after them.
  const lines: string[] = [];
  const quad = (i: number) => `10.${i >>> 16}.${(i >>> 8) & 255}.${i & 255}`;
  for (let i = 0; i < 200_000; i++) lines.push(quad(2 * i));
  const text = lines.join("\n") + "\n";
  const oddText = Array.from({ length: 200_000 }, (_, i) => quad(2 * i + 1) + (i % 2 ? "/32" : ""))
    .join("\n") + "\nodd.example # the last one\n";
  const enc = new TextEncoder();
  const readSpecs = (p: string) =>
    readHostSpecs(ReadableStream.from(
      p === "ex.txt"
        ? [enc.encode(text)]
        : p === "odd.txt"
        ? [enc.encode(oddText)]
        : [enc.encode(text), enc.encode(oddText)],
    ));
  const resolver = new FakeResolver({ "odd.example": [quad(400_000)] });
  const base = { exclude: [], ipv6: false };
  const sparse = await buildExcludeSet({ ...base, excludeFile: "ex.txt" }, { resolver, readSpecs });
  assertEquals(sparse.size, 200_000);
  assert(sparse.has("10.0.0.0") && !sparse.has("10.0.0.1") && sparse.has(quad(399_998)));
  assert(!sparse.has(quad(400_000)) && !sparse.has("9.255.255.255"));
  // The same set with the odd addresses filled in (twice over: file and --exclude) is one range.
  const dense = await buildExcludeSet(
    { ...base, exclude: ["10.0.0.0/14"], excludeFile: "ex.txt" },
    { resolver, readSpecs },
  );
  // 10.0.0.0/14 swallows the first 131,072 even addresses and touches the next one.
  assertEquals(dense.size, 200_000 - 131_072 - 1 + 1);
  const filled = await buildExcludeSet({ ...base, excludeFile: "all.txt" }, {
    resolver,
    readSpecs,
  });
  assertEquals(filled.size, 1);
  assert(filled.has(quad(0)) && filled.has(quad(400_000)) && !filled.has(quad(400_001)));
  // The name lands next to the last odd address and merges with it.
  const odd = await buildExcludeSet({ ...base, excludeFile: "odd.txt" }, { resolver, readSpecs });
  assertEquals(odd.size, 200_000);
  assert(odd.has(quad(400_000)) && odd.has(quad(1)) && !odd.has(quad(2)));
});

Deno.test("host lists: whitespace separated, # comments", async () => {
  const text = "10.0.0.1 10.0.0.2\n# a comment 10.9.9.9\n\t10.0.0.3#trailing\r\n10.0.0.4";
  const stream = ReadableStream.from([new TextEncoder().encode(text)]);
  const out: string[] = [];
  for await (const s of readHostSpecs(stream)) out.push(s);
  assertEquals(out, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]);
});

class FakeResolver implements Resolver {
  constructor(readonly table: Record<string, string[]>) {}
  lookup(name: string) {
    return Promise.resolve(this.table[name] ?? []);
  }
  reverse() {
    return Promise.resolve(undefined);
  }
}

async function collect(it: AsyncIterable<Target>): Promise<Target[]> {
  const out: Target[] = [];
  for await (const t of it) out.push(t);
  return out;
}

Deno.test("names: first address of the family scanned, the others reported", async () => {
  const resolver = new FakeResolver({
    "scanme.nmap.org": ["45.33.32.156", "2600:3c01::f03c:91ff:fe18:bb2f"],
    "v6only.example": ["2001:db8::5"],
    "two.example": ["10.1.1.1", "10.1.1.2"],
  });
  const warnings: string[] = [];
  const base = { inputList: undefined, exclude: [], excludeFile: undefined, ipv6: false };
  const ts = await collect(expandTargets(
    { ...base, targets: ["scanme.nmap.org", "v6only.example", "nosuch.example", "two.example/31"] },
    { resolver, warn: (m) => warnings.push(m) },
  ));
  assertEquals(ts, [
    {
      address: "45.33.32.156",
      family: 4,
      userHostname: "scanme.nmap.org",
      otherAddresses: ["2600:3c01::f03c:91ff:fe18:bb2f"],
    },
    { address: "10.1.1.0", family: 4, otherAddresses: [] },
    { address: "10.1.1.1", family: 4, userHostname: "two.example", otherAddresses: ["10.1.1.2"] },
  ]);
  assertEquals(warnings, [
    "Warning: Hostname v6only.example resolves, but not to any IPv4 address. Try scanning with -6",
    'Failed to resolve "v6only.example".',
    'Failed to resolve "nosuch.example".',
  ]);
  const v6 = await collect(
    expandTargets({ ...base, ipv6: true, targets: ["scanme.nmap.org"] }, { resolver }),
  );
  assertEquals(v6, [{
    address: "2600:3c01::f03c:91ff:fe18:bb2f",
    family: 6,
    userHostname: "scanme.nmap.org",
    otherAddresses: ["45.33.32.156"],
  }]);
});

Deno.test("exclusions, -iL sources and resuming", async () => {
  const resolver = new FakeResolver({ "gw.example": ["10.0.0.1"] });
  const files: Record<string, string[]> = { "list.txt": ["10.0.0.0/29"], "ex.txt": ["10.0.0.6"] };
  const readSpecs = async function* (p: string) {
    yield* files[p] ?? [];
  };
  const ts = await collect(expandTargets({
    targets: [],
    inputList: "list.txt",
    exclude: ["gw.example", "10.0.0.2-3"],
    excludeFile: "ex.txt",
    ipv6: false,
  }, { resolver, readSpecs }));
  assertEquals(ts.map((t) => t.address), ["10.0.0.0", "10.0.0.4", "10.0.0.5", "10.0.0.7"]);
  const resumed = await collect(expandTargets(
    {
      targets: ["10.0.0.0/30"],
      inputList: undefined,
      exclude: [],
      excludeFile: undefined,
      ipv6: false,
    },
    { resolver, resumeAfter: "10.0.0.1" },
  ));
  assertEquals(resumed.map((t) => t.address), ["10.0.0.2", "10.0.0.3"]);
  await assertRejects(
    () =>
      preflightTargets({
        inputList: "list.txt",
        exclude: ["no.such.example"],
        excludeFile: undefined,
        ipv6: false,
      }, { resolver, readSpecs }),
    UsageError,
    "Invalid address specification: no.such.example",
  );
  files["bad.txt"] = ["10.0.0.1", "10.0.0.999"];
  await assertRejects(
    () =>
      preflightTargets({ inputList: "bad.txt", exclude: [], excludeFile: undefined, ipv6: false }, {
        resolver,
        readSpecs,
      }),
    UsageError,
    "10.0.0.999",
  );
});

Deno.test("a /8 streams without being held in memory", async () => {
  const it = expandTargets(
    {
      targets: ["10.0.0.0/8"],
      inputList: undefined,
      exclude: ["10.0.0.0/16"],
      excludeFile: undefined,
      ipv6: false,
    },
    { resolver: new FakeResolver({}) },
  );
  const first = await it.next();
  assertEquals((first.value as Target).address, "10.1.0.0");
  await it.return(undefined);
});

// nmap's list scan (-sL -n) prints the addresses an expression covers and sends nothing.
Deno.test({
  name: "address order and coverage equal nmap -sL -n",
  ignore: missingTools("nmap").length > 0,
}, async () => {
  const cases: [string[], boolean][] = [
    [["10.0.0-1.1,3", "192.168.0.0/30", "172.16.5.-2", "10.9.8.7/31"], false],
    [["10.0.0.1,7/30", "--exclude", "10.0.0.2,10.0.0.5-6"], false],
    [["2001:db8::/126", "::ffff:1.2.3.4", "1:0:0:1:0:0:0:1", "fe80::1:0:0:2/127"], true],
  ];
  for (const [args, v6] of cases) {
    let out;
    try {
      out = await new Deno.Command("nmap", {
        args: ["-sL", "-n", ...(v6 ? ["-6"] : []), ...args],
        stdout: "piped",
        stderr: "null",
      }).output();
    } catch {
      return;
    }
    const theirs = [
      ...new TextDecoder().decode(out.stdout).matchAll(/^Nmap scan report for (\S+)$/gm),
    ]
      .map((m) => m[1]);
    const exIdx = args.indexOf("--exclude");
    const targets = exIdx >= 0 ? args.slice(0, exIdx) : args;
    const exclude = exIdx >= 0 ? args[exIdx + 1]!.split(",") : [];
    const mine = await collect(expandTargets(
      { targets, inputList: undefined, exclude, excludeFile: undefined, ipv6: v6 },
      { resolver: new FakeResolver({}) },
    ));
    assertEquals(mine.map((t) => t.address), theirs, args.join(" "));
  }
});

Deno.test("batches carry the same targets in the same order", async () => {
  const o = {
    targets: ["10.0.0.0/22", "10.9.0.1"],
    inputList: undefined,
    exclude: ["10.0.1.0/24", "10.0.2.7"],
    excludeFile: undefined,
    ipv6: false,
  };
  const deps = { resolver: new FakeResolver({}) };
  const single = (await collect(expandTargets(o, deps))).map((t) => t.address);
  const batched: string[] = [];
  let batches = 0;
  for await (const b of expandTargetBatches(o, deps, 100)) {
    assert(b.length <= 100);
    batches++;
    batched.push(...b.map((t) => t.address));
  }
  assertEquals(batched, single);
  assertEquals(single.length, 1024 - 256 - 1 + 1);
  assertEquals(batches, 8);
});

Deno.test({
  name: "-iL and --excludefile from FIFOs: each read once, streamed (a FIFO cannot be re-read)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = Deno.makeTempDirSync();
    const listPath = `${dir}/list`, ex = `${dir}/ex`;
    const mk = await new Deno.Command("mkfifo", { args: [listPath, ex] }).output();
    assert(mk.success, "mkfifo");
    // One writer each: a second open of the same FIFO would wait for a writer forever.
    const write = (path: string, text: string, seconds = 60) =>
      new Deno.Command("timeout", {
        args: [String(seconds), "sh", "-c", `printf '${text}' > "$0"`, path],
      }).output();
    const writers = [write(listPath, "10.0.0.0/30 # four\\n10.0.0.9\\n"), write(ex, "10.0.0.2\\n")];
    const opts = {
      targets: [],
      inputList: listPath,
      exclude: [],
      excludeFile: ex,
      ipv6: false,
    };
    const resolver = new FakeResolver({});
    let guard: ReturnType<typeof setTimeout> | undefined;
    try {
      const run = (async () => {
        const excludes = await preflightTargets(opts, { resolver });
        return await collect(expandTargets(opts, { resolver, excludes, warn: () => {} }));
      })();
      const timedOut = new Promise<"hang">((r) => guard = setTimeout(() => r("hang"), 20_000));
      const got = await Promise.race([run, timedOut]);
      if (got === "hang") {
        // Release a reader blocked on a second open, then fail.
        await Promise.all([write(listPath, "", 2), write(ex, "", 2)]);
        await run.catch(() => {});
        assert(false, "a FIFO was opened twice (hang)");
      }
      assertEquals(got.map((t) => t.address), ["10.0.0.0", "10.0.0.1", "10.0.0.3", "10.0.0.9"]);
      for (const w of await Promise.all(writers)) assert(w.success);
    } finally {
      clearTimeout(guard);
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
