import type { PortResult, PortState } from "../model/mod.ts";
import { foldPorts, isIgnoredState } from "./extraports.ts";
import { assertEquals } from "../../tests/testing/assert.ts";

const quiet = { verbose: 0, debug: 0, openOnly: false };

function ports(state: PortState, from: number, to: number, reason = "reset"): PortResult[] {
  const out: PortResult[] = [];
  for (let p = from; p <= to; p++) out.push({ protocol: "tcp", port: p, state, reason });
  return out;
}

Deno.test("a state folds above 25 ports; -v and -d raise the bar; -dd... shows all", () => {
  assertEquals(isIgnoredState("closed", 25, quiet), false);
  assertEquals(isIgnoredState("closed", 26, quiet), true);
  assertEquals(isIgnoredState("open", 1000, quiet), false);
  // -v: 25 * (1 + 1) = 50; -d: 25 * (0 + 1 + 20) = 525
  assertEquals(isIgnoredState("closed", 50, { ...quiet, verbose: 1 }), false);
  assertEquals(isIgnoredState("closed", 51, { ...quiet, verbose: 1 }), true);
  assertEquals(isIgnoredState("filtered", 525, { ...quiet, debug: 1 }), false);
  assertEquals(isIgnoredState("filtered", 526, { ...quiet, debug: 1 }), true);
  assertEquals(isIgnoredState("closed", 60000, { ...quiet, debug: 3 }), false);
  assertEquals(isIgnoredState("open|filtered", 60000, { ...quiet, verbose: 3 }), false);
});

Deno.test("--open folds every state that cannot be open, even small ones", () => {
  const open = { ...quiet, openOnly: true };
  assertEquals(isIgnoredState("closed", 1, open), true);
  assertEquals(isIgnoredState("filtered", 1, open), true);
  assertEquals(isIgnoredState("open|filtered", 1, open), false);
  assertEquals(isIgnoredState("unfiltered", 3, open), false);
});

Deno.test("folded states: most ports first, ties in nmap's state-number order", () => {
  // filtered (3) and closed (1) both 30: closed first; open|filtered 40 leads.
  const f = foldPorts([
    ...ports("filtered", 1, 30, "no-response"),
    ...ports("closed", 31, 60),
    ...ports("open|filtered", 61, 100, "no-response"),
    ...ports("open", 101, 101, "syn-ack"),
  ], quiet);
  assertEquals(f.ignored.map((i) => `${i.state}:${i.count}`), [
    "open|filtered:40",
    "closed:30",
    "filtered:30",
  ]);
  assertEquals(f.shown.map((p) => p.port), [101]);
});

Deno.test("reasons within a state: largest first; equal counts as nmap's merge sort leaves them", () => {
  const f = foldPorts([
    ...ports("filtered", 1, 10, "no-response"),
    ...ports("filtered", 11, 20, "admin-prohibited"),
    ...ports("filtered", 21, 35, "host-unreach"),
  ], quiet);
  const r = f.ignored[0]!.reasons;
  assertEquals(r.map((x) => `${x.reason}:${x.count}`), [
    "host-unreach:15",
    // nmap's Tatham merge takes the right-hand run on ties, which reverses
    // these two equal groups relative to port order.
    "admin-prohibited:10",
    "no-response:10",
  ]);
  assertEquals(r[0]!.ports.length, 15);
});

Deno.test("shown ports are TCP then UDP, each ascending, whatever the input order", () => {
  const f = foldPorts([
    { protocol: "udp", port: 53, state: "open", reason: "udp-response" },
    { protocol: "tcp", port: 443, state: "open", reason: "syn-ack" },
    { protocol: "tcp", port: 22, state: "closed", reason: "reset" },
  ], quiet);
  assertEquals(f.shown.map((p) => `${p.port}/${p.protocol}`), ["22/tcp", "443/tcp", "53/udp"]);
  assertEquals(f.ignored, []);
});

Deno.test("listed states interleave in port order; folded reasons interleaved, input unsorted", () => {
  // 38 closed ports whose reasons alternate in runs, two listed states between them, and the
  // whole list backwards: the fold is the same as for the sorted list.
  const list: PortResult[] = [];
  for (let p = 1; p <= 40; p++) {
    list.push({
      protocol: "tcp",
      port: p,
      state: "closed",
      reason: p % 3 ? "reset" : "conn-refused",
    });
  }
  list.push({ protocol: "tcp", port: 100, state: "open", reason: "syn-ack" });
  list.splice(14, 1, { protocol: "tcp", port: 15, state: "filtered", reason: "no-response" });
  list.splice(7, 1, { protocol: "tcp", port: 8, state: "open", reason: "syn-ack" });
  const backwards = foldPorts([...list].reverse(), quiet);
  const sorted = foldPorts([...list].sort((a, b) => a.port - b.port), quiet);
  assertEquals(backwards, sorted);
  assertEquals(sorted.shown.map((p) => `${p.port}:${p.state}`), [
    "8:open",
    "15:filtered",
    "100:open",
  ]);
  assertEquals(sorted.ignored.map((i) => i.reasons.map((r) => `${r.reason}:${r.count}`)), [
    ["reset:26", "conn-refused:12"],
  ]);
  assertEquals(sorted.ignored[0]!.reasons[1]!.ports, [3, 6, 9, 12, 18, 21, 24, 27, 30, 33, 36, 39]);
});
