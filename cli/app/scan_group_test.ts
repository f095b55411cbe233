/**
 * The group's ordered emission (scan_group.ts), with no permissions: four hosts assumed up
 * (-Pn) finish their per-host work out of target order — the scripts stage is a fake whose
 * host() the test completes one host at a time — and the writers receive them in target order,
 * each as soon as it and every host before it are finished, as nmap writes them.
 */

import { assertEquals } from "../../tests/testing/assert.ts";
import { fakeEngineContext } from "../../tests/testing/fake_session.ts";
import type { HostResult } from "../model/mod.ts";
import type { ScriptRunner } from "../scripts/mod.ts";
import type { Options } from "../options/types.ts";
import type { RunContext } from "./context.ts";
import { scanGroup } from "./scan_group.ts";

const TARGETS = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"];

/** A script stage whose host() returns only when the test says that host is finished. */
class HeldScripts implements ScriptRunner {
  readonly waiting = new Map<string, () => void>();
  host(r: HostResult): Promise<void> {
    return new Promise((resolve) => this.waiting.set(r.address, resolve));
  }
  phase() {
    return Promise.resolve([]);
  }
  close() {}
  /** Finish `address`, then let every promise that follows settle. */
  async finish(address: string): Promise<void> {
    this.waiting.get(address)!();
    await new Promise((r) => setTimeout(r, 0));
  }
}

/** Resolves when `ready()` holds, checking every few ms. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((r) => setTimeout(r, 2));
}

Deno.test("scan group: hosts finished out of order are written in target order, each as soon as it can be", async () => {
  const engine = fakeEngineContext(["-Pn", "-n", ...TARGETS]);
  const scripts = new HeldScripts();
  const ctx: RunContext = { ...engine, options: engine.opts as Options, scripts };
  const written: string[] = [];
  const sinks = {
    write: (r: HostResult) => Promise.resolve(void written.push(r.address)),
    progress: () => Promise.reject(new Error("no host is cut short here")),
  };
  const targets = TARGETS.map((address) => ({ address, family: 4 as const, otherAddresses: [] }));
  const run = scanGroup(ctx, targets, { privileged: false, rawScan: false, phases: [] }, sinks);
  await until(() => scripts.waiting.size === TARGETS.length);

  // Finished: the 4th, the 2nd — nothing can be written while the 1st is still at work.
  await scripts.finish("10.0.0.4");
  await scripts.finish("10.0.0.2");
  assertEquals(written, []);
  // The 1st: it and the 2nd go out; the 4th waits for the 3rd.
  await scripts.finish("10.0.0.1");
  assertEquals(written, ["10.0.0.1", "10.0.0.2"]);
  await scripts.finish("10.0.0.3");
  await run;
  assertEquals(written, TARGETS);
});
