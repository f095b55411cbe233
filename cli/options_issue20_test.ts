/** Issue 20's options that need no packet: -sL, DNS control, target order, --noninteractive. */

import assert from "node:assert/strict";
import { parseOptions } from "./options.ts";
import { UsageError } from "./errors.ts";
import { shuffleInBlocks } from "./app/host_groups.ts";
import { expandTargets } from "./targets.ts";
import type { Resolver } from "./dns.ts";

const parse = (argv: string[]) => parseOptions(argv, { skipFileChecks: true });

Deno.test("-sL lists: no port scan, and nmap's refusals of what needs one", () => {
  const o = parse(["-sL", "10.0.0.1"]);
  assert.equal(o.listScan, true);
  assert.equal(o.discovery.pingOnly, true);
  assert.throws(() => parse(["-sL", "-sS", "h"]), UsageError);
  assert.throws(() => parse(["-sL", "-p", "22", "h"]), /when not doing a port scan/);
  assert.throws(() => parse(["-sL", "-O", "h"]), /OS Scan is unreliable/);
  assert.equal(parse(["-sL", "-sV", "h"]).versionDetection, false);
});

Deno.test("--dns-servers takes IP addresses, one clear message otherwise", () => {
  assert.deepEqual(parse(["--dns-servers", "10.0.0.53, ::1,,", "h"]).dnsServers, [
    "10.0.0.53",
    "::1",
  ]);
  assert.throws(
    () => parse(["--dns-servers", "ns.example", "h"]),
    /Invalid DNS server "ns\.example"/,
  );
  assert.throws(() => parse(["--dns-servers", ",", "h"]), /at least one IP address/);
});

Deno.test("--system-dns, --resolve-all, --unique, --randomize-hosts/-rH, --noninteractive parse", () => {
  const o = parse(["--system-dns", "--resolve-all", "--unique", "--noninteractive", "h"]);
  assert.equal(o.systemDns, true);
  assert.equal(o.resolveAll, true);
  assert.equal(o.unique, true);
  assert.equal(o.noninteractive, true);
  assert.equal(parse(["--randomize-hosts", "h"]).randomizeHosts, true);
  assert.equal(parse(["-rH", "h"]).randomizeHosts, true);
  assert.equal(parse(["h"]).randomizeHosts, undefined);
});

const fakeResolver: Resolver = {
  lookup: (name) => Promise.resolve(name === "two.test" ? ["10.0.0.5", "10.0.0.7", "fd00::5"] : []),
  reverse: () => Promise.resolve(undefined),
};

async function addresses(argv: string[]) {
  const out: string[] = [];
  for await (const t of expandTargets(parse(argv), { resolver: fakeResolver, warn: () => {} })) {
    out.push(`${t.address}${t.userHostname ? `=${t.userHostname}` : ""}`);
  }
  return out;
}

Deno.test("--resolve-all scans each address of a name; --unique each address once", async () => {
  assert.deepEqual(await addresses(["two.test"]), ["10.0.0.5=two.test"]);
  assert.deepEqual(await addresses(["--resolve-all", "two.test"]), [
    "10.0.0.5=two.test",
    "10.0.0.7=two.test",
  ]);
  assert.deepEqual(await addresses(["two.test", "10.0.0.4-6", "10.0.0.5"]), [
    "10.0.0.5=two.test",
    "10.0.0.4",
    "10.0.0.5",
    "10.0.0.6",
    "10.0.0.5",
  ]);
  assert.deepEqual(await addresses(["--unique", "two.test", "10.0.0.4-6", "10.0.0.5"]), [
    "10.0.0.5=two.test",
    "10.0.0.4",
    "10.0.0.6",
  ]);
});

Deno.test("shuffleInBlocks: a permutation of each block, blocks in order", async () => {
  const items = Array.from({ length: 25 }, (_, i) => i);
  const got: number[] = [];
  for await (const x of shuffleInBlocks(items, 10)) got.push(x);
  assert.deepEqual([...got].sort((a, b) => a - b), items);
  for (const [lo, hi] of [[0, 10], [10, 20], [20, 25]] as const) {
    assert.deepEqual(got.slice(lo, hi).sort((a, b) => a - b), items.slice(lo, hi));
  }
  // A fixed "random" source that always picks index 0 rotates each block deterministically.
  const fixed: number[] = [];
  for await (const x of shuffleInBlocks([1, 2, 3], 3, () => 0)) fixed.push(x);
  assert.deepEqual(fixed, [2, 3, 1]);
});

Deno.test("-g, --ttl, --badsum, --data* parse with nmap's limits and messages", () => {
  const o = parse(["-g", "53", "--ttl", "33", "--badsum", "--data", "0xDEADbeef", "h"]);
  assert.deepEqual(o.shaping, {
    sourcePort: 53,
    ttl: 33,
    badsum: true,
    payload: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
  });
  assert.equal(parse(["--source-port", "5353", "h"]).shaping?.sourcePort, 5353);
  assert.equal(parse(["h"]).shaping, undefined);
  assert.deepEqual(parse(["--data", "\\x01\\x02", "h"]).shaping?.payload, new Uint8Array([1, 2]));
  assert.deepEqual(
    parse(["--data-string", "hi", "h"]).shaping?.payload,
    new TextEncoder().encode("hi"),
  );
  assert.equal(parse(["--data-length", "25", "h"]).shaping?.payload?.length, 25);
  assert.equal(parse(["--data-length", "0", "h"]).shaping?.payload?.length, 0);
  assert.match(parse(["-g", "0", "h"]).warnings!.join("\n"), /source port of zero/);
  assert.match(parse(["--data-length", "1401", "h"]).warnings!.join("\n"), /bigger than 1400/);
  assert.throws(
    () => parse(["--ttl", "256", "h"]),
    /ttl option must be a number between 0 and 255/,
  );
  assert.throws(() => parse(["--ttl", "-1", "h"]), /between 0 and 255 \(inclusive\)/);
  assert.throws(() => parse(["--data", "abc", "h"]), /Invalid hex string specified/);
  assert.throws(() => parse(["--data", "zz", "h"]), /Invalid hex string specified/);
  assert.throws(
    () => parse(["--data-length", "65401", "h"]),
    /data-length must be between 0 and 65400/,
  );
  assert.throws(
    () => parse(["--data-string", "x".repeat(65401), "h"]),
    /string length must be between 0 and 65400/,
  );
  assert.throws(
    () => parse(["--data", "00", "--data-string", "a", "h"]),
    /Can't use the --data option\(s\) multiple times, or together\./,
  );
  assert.throws(() => parse(["-g", "http", "h"]), UsageError);
  assert.throws(() => parse(["-g", "65536", "h"]), UsageError);
});

Deno.test("-D: ME, RND[:n] and addresses, with nmap's refusals", () => {
  assert.deepEqual(parse(["-D", "10.0.0.7,ME,rnd:3,RND,decoy.test", "h"]).shaping?.decoys, [
    { kind: "host", name: "10.0.0.7" },
    { kind: "me" },
    { kind: "rnd", count: 3 },
    { kind: "rnd", count: 1 },
    { kind: "host", name: "decoy.test" },
  ]);
  assert.throws(() => parse(["-D", "ME,me", "h"]), /Can only use 'ME' as a decoy once\./);
  assert.throws(() => parse(["-D", "RND:0", "h"]), /Bad 'rnd' decoy "RND:0"/);
  assert.throws(() => parse(["-D", "RND:200", "h"]), /You are only allowed 128 decoys/);
  assert.throws(
    () => parse(["-6", "-D", "RND:2", "h"]),
    /Random decoys can only be used with IPv4/,
  );
});

Deno.test("-f, -ff and --mtu: fragment sizes and nmap's refusal", () => {
  assert.equal(parse(["-f", "h"]).shaping?.fragment, 8);
  assert.equal(parse(["-f", "-f", "h"]).shaping?.fragment, 16);
  assert.equal(parse(["-ff", "h"]).shaping?.fragment, 16);
  assert.equal(parse(["--mtu", "24", "h"]).shaping?.fragment, 24);
  for (const bad of ["0", "12", "-8", "x"]) {
    assert.throws(
      () => parse(["--mtu", bad, "h"]),
      /Data payload MTU must be >0 and multiple of 8/,
    );
  }
});
