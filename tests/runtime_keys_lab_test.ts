/**
 * Run-time keys on a terminal (issue 20), Porthole beside nmap 7.93: each runs in a tmux pane
 * inside the lab's scanner namespace, scanning a target whose ICMP errors are rate-limited (a
 * slow UDP scan); keys are sent and the screen read back. v/V, d/D, p/P, ? and any other key (a
 * status line with "% done; ETC") as nmap answers them; --noninteractive reads no key. Lab tag:
 * `opky`.
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { run } from "./lab/_exec.ts";

const unavailable = await labUnavailable();
const nmapMissing = (await run(["nmap", "--version"])).code !== 0;
const tmuxMissing = (await run(["tmux", "-V"])).code !== 0;

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `argv` in a detached tmux session, presses `keys` (one every 700 ms, from `afterMs`),
 * waits for the program to end (at most 120 s) and returns the screen. */
async function onTerminal(
  name: string,
  argv: string[],
  keys: string[],
  afterMs = 2500,
): Promise<string> {
  const tmux = (...a: string[]) => run(["tmux", ...a]);
  await tmux("kill-session", "-t", name);
  const cmd = `${argv.map(q).join(" ")}; echo "EXITED $?"; sleep 120`;
  const started = await tmux("new-session", "-d", "-s", name, "-x", "200", "-y", "100", cmd);
  assert.equal(started.code, 0, started.stderr);
  try {
    await sleep(afterMs);
    for (const k of keys) {
      await tmux("send-keys", "-t", name, "-l", k);
      await sleep(700);
    }
    let screen = "";
    for (let i = 0; i < 240 && !/EXITED \d+/.test(screen); i++) {
      await sleep(500);
      screen = (await tmux("capture-pane", "-p", "-t", name, "-S", "-", "-E", "-")).stdout;
    }
    assert.match(screen, /EXITED 0/, screen);
    return screen;
  } finally {
    await tmux("kill-session", "-t", name);
  }
}

/** nmap and Porthole run `args` in turn on a terminal in the lab's scanner namespace, `keys`
 * pressed during each: their screens. */
async function bothOnTerminal(lab: Lab, args: string[], keys: string[]) {
  return {
    nmap: await onTerminal(
      "ph-opky-nmap",
      ["ip", "netns", "exec", lab.scanner.ns, "nmap", ...args],
      keys,
    ),
    porthole: await onTerminal("ph-opky-porthole", await lab.portholeArgv(args), keys),
  };
}

/** A connect scan of 40 ports, one every 150 ms, by nmap and by Porthole, `keys` pressed. */
async function slowConnectScan(keys: string[]) {
  await using lab = await Lab.up({ tag: "opky", scenario: "ratelimited-udp" });
  const args = ["-sT", "-p", "1-40", "--scan-delay", "150ms", "-n", lab.target.v4];
  return await bothOnTerminal(lab, args, keys);
}

/** nmap's status message for `scan`: the Stats line and the timing line with % done and ETC. */
const status = (scan: string) =>
  new RegExp(
    `^Stats: \\d:\\d\\d:\\d\\d elapsed; 0 hosts completed \\(1 up\\), 1 undergoing ${scan}\\n` +
      `${scan} Timing: About \\d+\\.\\d\\d% done; ETC: \\d\\d:\\d\\d \\(\\d:\\d\\d:\\d\\d remaining\\)$`,
    "m",
  );

Deno.test({
  name: "lab: run-time keys v, ?, any other key and V on a terminal, as nmap answers them",
  ignore: unavailable !== null || nmapMissing || tmuxMissing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const screens = await slowConnectScan(["v", "?", "x", "V"]);
    for (const [tool, screen] of Object.entries(screens)) {
      const what = `${tool}:\n${screen}`;
      assert.match(screen, /^Verbosity Increased to 1\.$/m, what);
      assert.match(
        screen,
        /^Interactive keyboard commands:\n\?  +Display this information\nv\/V  +Increase\/decrease verbosity\nd\/D  +Increase\/decrease debugging\n(?:p\/P  +Enable\/disable packet tracing\n)?anything else  +Print status\nMore help: /m,
        what,
      );
      assert.match(screen, status("Connect Scan"), what);
      assert.match(screen, /^Verbosity Decreased to 0\.$/m, what);
      assert.match(screen, /^22\/tcp +open +ssh$/m, what);
      // Keys are read one at a time: none is echoed on a line of its own.
      assert.doesNotMatch(screen, /^[v?xV]$/m, what);
    }
  },
});

Deno.test({
  name: "lab: run-time keys d/D and p/P on a terminal, as nmap answers them",
  ignore: unavailable !== null || nmapMissing || tmuxMissing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // A status key between p and P: packet tracing stays on for about 1.4 s (some 9 probes).
    const screens = await slowConnectScan(["d", "p", "x", "P", "D"]);
    for (const [tool, screen] of Object.entries(screens)) {
      const what = `${tool}:\n${screen}`;
      const lines = screen.split("\n");
      const at = (line: string) => {
        const i = lines.indexOf(line);
        assert.ok(i >= 0, `no "${line}" in ${what}`);
        return i;
      };
      const [up, on, off, down] = [
        at("Debugging Increased to 1."),
        at("Packet Tracing enabled."),
        at("Packet Tracing disabled."),
        at("Debugging Decreased to 0."),
      ];
      assert.ok(up < on && on < off && off < down, what);
      // The connect scan's trace lines while tracing was on, and none before or after.
      const traced = lines.map((l, i) => [l, i] as const).filter(([l]) => /^CONN \(/.test(l));
      assert.ok(traced.length > 0, what);
      for (const [l, i] of traced) {
        assert.match(l, /^CONN \(\d+\.\d{4}s\) TCP localhost > [\d.]+:\d+ => /, what);
        assert.ok(i > on && i < off, `${l} outside p…P: ${what}`);
      }
      assert.match(screen, /^22\/tcp +open +ssh$/m, what);
    }
  },
});

Deno.test({
  name: "lab: a key during a rate-limited UDP scan prints its % done and ETC",
  ignore: unavailable !== null || tmuxMissing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "opky", scenario: "ratelimited-udp" });
    // One ICMP error a second: 1000-1011 take Porthole about 12 s.
    const args = ["-sU", "-p", "1000-1011", "-n", lab.target.v4];
    const screen = await onTerminal("ph-opky-udp", await lab.portholeArgv(args), ["x"], 4000);
    assert.match(screen, status("UDP Scan"), screen);
    assert.match(screen, /^1000\/udp +closed +/m, screen);
  },
});

Deno.test({
  name: "lab: --noninteractive reads no key, as nmap's",
  ignore: unavailable !== null || nmapMissing || tmuxMissing,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await Lab.up({ tag: "opky", scenario: "ratelimited-udp" });
    const args = ["--noninteractive", "-sU", "-p", "1000-1005", "-n", lab.target.v4];
    const screens = await bothOnTerminal(lab, args, ["x", "v"]);
    for (const [tool, screen] of Object.entries(screens)) {
      assert.doesNotMatch(screen, /^Stats: |^Verbosity /m, `${tool}:\n${screen}`);
      assert.match(screen, /^1000\/udp +closed +/m, `${tool}:\n${screen}`);
    }
  },
});
