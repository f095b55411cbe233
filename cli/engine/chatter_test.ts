import { assertEquals, assertMatch } from "../../tests/testing/assert.ts";
import { Chatter } from "./chatter.ts";

Deno.test("Chatter.startPlain: nmap's Traceroute lines (no Scanning line, no totals) and task records", () => {
  const lines: string[] = [];
  const records: string[] = [];
  const chatter = new Chatter(true, (l) => lines.push(l), {
    begin: (task) => records.push(`begin ${task}`),
    end: (task, _time, extrainfo) => records.push(`end ${task} ${extrainfo ?? "-"}`),
  });
  chatter.startPlain("Traceroute").done();
  assertEquals(lines.length, 2);
  assertMatch(lines[0]!, /^Initiating Traceroute at \d\d:\d\d$/);
  assertMatch(lines[1]!, /^Completed Traceroute at \d\d:\d\d, \d+\.\d\ds elapsed$/);
  assertEquals(records, ["begin Traceroute", "end Traceroute -"]);

  // Not on the terminal (a machine format owns stdout): still recorded, as nmap's XML does.
  const quiet: string[] = [];
  records.length = 0;
  new Chatter(false, (l) => quiet.push(l), {
    begin: (task) => records.push(`begin ${task}`),
    end: (task) => records.push(`end ${task}`),
  }).startPlain("Traceroute").done();
  assertEquals(quiet, []);
  assertEquals(records, ["begin Traceroute", "end Traceroute"]);
});
