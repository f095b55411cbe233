import { clockDuration, Progress } from "./progress.ts";
import { assert, assertEquals, assertMatch } from "../../tests/testing/assert.ts";

const T0 = Date.UTC(2026, 10, 25, 19, 28, 0);

function fakeProgress(verbose = 0) {
  let now = T0;
  const out: string[] = [];
  const p = new Progress({
    statsEveryMs: 0,
    interactive: false,
    verbose,
    write: (s) => out.push(s),
    now: () => now,
    startTime: T0,
  });
  return { p, out, at: (ms: number) => (now = T0 + ms) };
}

const hhmm = (ms: number) => {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
};

Deno.test("clockDuration prints h:mm:ss with unpadded hours", () => {
  assertEquals(clockDuration(28), "0:00:28");
  assertEquals(clockDuration(774.9), "0:12:54");
  assertEquals(clockDuration(3600 * 30 + 61), "30:01:01");
});

Deno.test("status lines are nmap's, with an ETC from the phase's rate", () => {
  const { p, at } = fakeProgress();
  at(0);
  assertEquals(
    p.statusText(),
    "Stats: 0:00:00 elapsed; 0 hosts completed (0 up), 0 undergoing Ping Scan\n",
  );
  at(1000);
  p.setPhase("SYN Stealth Scan", 1);
  at(28000);
  p.update(361, 10000);
  // 361 probes in 27 s → 13.37/s; 9639 left → 720.9 s.
  assertEquals(
    p.statusText(),
    "Stats: 0:00:28 elapsed; 0 hosts completed (1 up), 1 undergoing SYN Stealth Scan\n" +
      `SYN Stealth Scan Timing: About 3.61% done; ETC: ${
        hhmm(T0 + 28000 + 720_900)
      } (0:12:00 remaining)\n`,
  );
  p.hostDone(true);
  p.setPhase("Service scan", 0);
  p.update(0, 4);
  assertEquals(
    p.statusText(),
    "Stats: 0:00:28 elapsed; 1 hosts completed (1 up), 0 undergoing Service scan\n" +
      "Service scan Timing: About 0.00% done\n",
  );
});

Deno.test("-v prints timing by itself: not before 30 s, then at most every 30 s", () => {
  const { p, out, at } = fakeProgress(1);
  p.setPhase("Connect Scan", 1);
  at(10_000);
  p.update(100, 10000);
  assertEquals(out, []);
  at(31_000);
  p.update(310, 10000);
  assertEquals(out.length, 1);
  assertMatch(
    out[0]!,
    /^Connect Scan Timing: About 3\.10% done; ETC: \d\d:\d\d \(0:16:\d\d remaining\)\n$/,
  );
  at(45_000);
  p.update(450, 10000);
  assertEquals(out.length, 1);
});

Deno.test("--stats-every prints on a timer until stopped", async () => {
  const out: string[] = [];
  const p = new Progress({ statsEveryMs: 10, interactive: false, write: (s) => out.push(s) });
  await new Promise((r) => setTimeout(r, 80));
  p.stop();
  const n = out.length;
  assert(n >= 2, `only ${n} prints`);
  assertMatch(
    out[0]!,
    /^Stats: 0:00:00 elapsed; 0 hosts completed \(0 up\), 0 undergoing Ping Scan\n$/,
  );
  await new Promise((r) => setTimeout(r, 40));
  assertEquals(out.length, n);
});

Deno.test("Enter on a terminal prints the status; stdin never holds the process open", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ph-progress-" });
  try {
    const script = `${dir}/enter.ts`;
    await Deno.writeTextFile(
      script,
      `import { Progress } from ${JSON.stringify(new URL("./progress.ts", import.meta.url).href)};
const p = new Progress({ statsEveryMs: 0 });
p.setPhase("SYN Stealth Scan", 1);
setTimeout(() => { console.log("ready"); setTimeout(() => console.log("main done"), 1500); }, 300);
`,
    );
    // script(1) gives the child a terminal; "exited" shows once it has ended.
    const inner = `${Deno.execPath()} run --allow-read ${script}; echo exited`;
    const child = new Deno.Command("script", {
      args: ["-qec", inner, "/dev/null"],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const w = child.stdin.getWriter();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let pressed = false;
    // stdin stays open throughout: the child must end on its own.
    let heldOpen = false;
    const deadline = setTimeout(() => {
      heldOpen = true;
      w.close().catch(() => {});
    }, 20_000);
    try {
      while (!text.includes("exited")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
        if (!pressed && text.includes("ready")) {
          pressed = true;
          await w.write(new TextEncoder().encode("\n"));
        }
      }
    } finally {
      clearTimeout(deadline);
    }
    await w.close().catch(() => {});
    await reader.cancel().catch(() => {});
    await child.status;
    assertMatch(
      text,
      /Stats: 0:00:0\d elapsed; 0 hosts completed \(1 up\), 1 undergoing SYN Stealth Scan/,
    );
    assertMatch(text, /main done[\s\S]*exited/);
    assert(!heldOpen, "the child waited for stdin to close");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
