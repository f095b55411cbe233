import type { PortResult, PortState } from "../model/mod.ts";
import { foldPorts, isIgnoredState } from "./extraports.ts";
import { assertEquals } from "../../tests/testing/output_samples.ts";

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
