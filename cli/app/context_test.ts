import { assertEquals } from "../../tests/testing/assert.ts";
import { parseOptions } from "../options/mod.ts";
import { engineConfig } from "./context.ts";

Deno.test("engine config: the options' parts, with -v/-d read through (the v/d keys change them)", () => {
  const opts = parseOptions(["-sT", "-r", "-T4", "-Pn", "-v", "127.0.0.1"], {
    skipFileChecks: true,
  });
  const c = engineConfig(opts);
  assertEquals(c.discovery, opts.discovery);
  assertEquals(c.timing, opts.timing);
  assertEquals([c.randomizePorts, c.sendMode, c.verbose, c.debug], [false, "auto", 1, 0]);
  opts.verbose = 3;
  opts.debug = 2;
  assertEquals([c.verbose, c.debug], [3, 2]);
});
