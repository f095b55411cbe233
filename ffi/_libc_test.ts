import assert from "node:assert/strict";

const LIBC = new URL("./_libc.ts", import.meta.url).href;

Deno.test({
  name: "readSystemFile: /proc and /sys through libc when Deno refuses them, small and large",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // Porthole's own permissions (no --allow-all): Deno refuses /proc and /sys, so every read
    // after the first goes to libc at once, through the one shared buffer.
    const script = `
      import { readSystemFile } from ${JSON.stringify(LIBC)};
      const dev = [1, 2, 3].map(() => readSystemFile("/proc/net/dev"));
      const lo = readSystemFile("/sys/class/net/lo/flags");
      const maps = readSystemFile("/proc/self/smaps");
      console.log(JSON.stringify({ dev, lo, mapsLength: maps?.length, mapsTail: maps?.slice(-1),
        missing: readSystemFile("/proc/no-such-file") ?? null }));`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--allow-ffi", "--allow-read", "--allow-env", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    // The same file each time (its counters may move meanwhile; its interfaces do not).
    const names = (t: string) => t.split("\n").map((l) => l.split(":")[0]).join();
    assert.match(r.dev[0], /Inter-\|/);
    assert.equal(names(r.dev[1]), names(r.dev[0]));
    assert.equal(names(r.dev[2]), names(r.dev[0]));
    assert.match(r.lo, /^0x[0-9a-f]+\n$/);
    // Larger than the 64 KiB buffer: read in chunks, whole.
    assert.ok(r.mapsLength > 1 << 16, `smaps of ${r.mapsLength} bytes`);
    assert.equal(r.mapsTail, "\n");
    assert.equal(r.missing, null);
  },
});
