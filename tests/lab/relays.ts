/**
 * The `relays` lab: the `relays` scenario (a target behind a router that forwards nothing) with
 * real Debian relays started on the router `ph-<tag>-r1`: tinyproxy (HTTP CONNECT, 8888), Dante
 * (SOCKS4/5, 1080) and vsftpd allowing PORT to third parties (FTP bounce, 21). The scanner
 * reaches the target only through them. Each daemon runs in the foreground under
 * `ip netns exec`, so the pid held is its own; `down` stops those pids, then the lab.
 *
 * ```ts
 * await using rl = await RelaysLab.up({ tag: "px" });
 * rl.httpProxy; // "http://10.B.0.2:8888"
 * ```
 */

import { Lab } from "./mod.ts";
import { run } from "./_exec.ts";
import { stopDaemon } from "./real_daemons.ts";

/** One relay daemon: its listening port and how to start it with its files in `dir`. */
interface Relay {
  name: string;
  port: number;
  argv: (dir: string) => string[];
  files: (dir: string) => Record<string, string>;
}

const lines = (...l: string[]) => l.join("\n") + "\n";

/** The relays, with settings for a scanner's load (no client caps, all ports allowed). */
const RELAYS: Relay[] = [
  {
    name: "tinyproxy",
    port: 8888,
    // No ConnectPort line: CONNECT to every port (Debian's file allows 443 and 563 only).
    files: () => ({
      "tinyproxy.conf": lines(
        "Port 8888",
        "Listen 0.0.0.0",
        "User nobody",
        "Group nogroup",
        "MaxClients 256",
        "Timeout 60",
      ),
    }),
    argv: (dir) => ["tinyproxy", "-d", "-c", `${dir}/tinyproxy.conf`],
  },
  {
    name: "dante",
    port: 1080,
    files: () => ({
      "danted.conf": lines(
        "logoutput: stderr",
        "internal: 0.0.0.0 port = 1080",
        "external: eth1",
        "socksmethod: none",
        "clientmethod: none",
        "user.privileged: root",
        "user.unprivileged: nobody",
        "client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }",
        "socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }",
      ),
    }),
    argv: (dir) => ["danted", "-f", `${dir}/danted.conf`, "-N", "4"],
  },
  {
    name: "vsftpd",
    port: 21,
    // port_promiscuous: PORT may name any host and port, the FTP bounce nmap's -b needs.
    files: (dir) => ({
      "vsftpd.conf": lines(
        "listen=YES",
        "listen_port=21",
        "background=NO",
        "anonymous_enable=YES",
        `anon_root=${dir}/pub`,
        "secure_chroot_dir=/run/vsftpd/empty",
        "port_promiscuous=YES",
        "max_per_ip=0",
        "max_clients=0",
      ),
    }),
    argv: (dir) => ["vsftpd", `${dir}/vsftpd.conf`],
  },
];

/** The Debian packages of the relays (tests/lab/install_daemons.ts installs them). */
export const RELAY_PACKAGES = ["tinyproxy-bin", "dante-server", "vsftpd"];

/** The relays lab: a {@link Lab} of the `relays` scenario plus the daemons on its router. */
export class RelaysLab implements AsyncDisposable {
  readonly lab: Lab;
  readonly dir: string;
  #children = new Map<number, Deno.ChildProcess>();
  #gone = false;

  private constructor(lab: Lab, dir: string) {
    this.lab = lab;
    this.dir = dir;
  }

  /** Brings the lab and its relays up (every one listening), or removes everything and throws. */
  static async up(
    opts: { tag: string; timeoutMs?: number; detach?: boolean },
  ): Promise<RelaysLab> {
    const lab = await Lab.up({ tag: opts.tag, scenario: "relays", detach: opts.detach });
    let rl: RelaysLab | undefined;
    try {
      const dir = await Deno.makeTempDir({ prefix: `ph-relays-${lab.tag}-` });
      await Deno.chmod(dir, 0o755);
      rl = new RelaysLab(lab, dir);
      await rl.#start(opts.timeoutMs ?? 30_000);
      return rl;
    } catch (e) {
      if (rl) await rl.down();
      else await lab.down();
      throw e;
    }
  }

  /** The router's namespace, where the relays run (it reaches the target directly). */
  get routerNs(): string {
    return this.lab.addr.routerNs(1);
  }

  /** The router's address on the scanner's link. */
  get relayV4(): string {
    return this.lab.addr.gatewayV4;
  }

  get httpProxy(): string {
    return `http://${this.relayV4}:8888`;
  }

  get socks4Proxy(): string {
    return `socks4://${this.relayV4}:1080`;
  }

  /** Runs `argv` in the router's namespace (the direct view of the target). */
  inRouter(argv: string[], timeoutMs = 300_000) {
    return run(["ip", "netns", "exec", this.routerNs, ...argv], { timeoutMs });
  }

  async #start(timeoutMs: number): Promise<void> {
    await Deno.mkdir("/run/vsftpd/empty", { recursive: true });
    for (const r of RELAYS) {
      const dir = `${this.dir}/${r.name}`;
      await Deno.mkdir(`${dir}/pub`, { recursive: true, mode: 0o755 });
      await Deno.chmod(dir, 0o755);
      for (const [name, text] of Object.entries(r.files(dir))) {
        await Deno.writeTextFile(`${dir}/${name}`, text);
      }
      const child = new Deno.Command("sh", {
        args: [
          "-c",
          'exec setsid ip netns exec "$0" "$@" >"$LOGFILE" 2>&1',
          this.routerNs,
          ...r.argv(dir),
        ],
        env: { LOGFILE: `${dir}/log` },
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      this.#children.set(child.pid, child);
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ss = await this.inRouter(["ss", "-Hlnt"], 10_000);
      const missing = RELAYS.filter((r) => !new RegExp(`:${r.port}\\s`).test(ss.stdout));
      if (missing.length === 0) return;
      if (Date.now() > deadline) {
        const logs = await Promise.all(
          missing.map((r) => Deno.readTextFile(`${this.dir}/${r.name}/log`).catch(() => "")),
        );
        throw new Error(
          `relays not listening: ${
            missing.map((r, i) => `${r.name}: ${logs[i]!.trim().slice(-300)}`).join("; ")
          }`,
        );
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** Stops the relays by pid, removes the lab and the directory. Idempotent. */
  async down(): Promise<void> {
    if (this.#gone) return;
    this.#gone = true;
    const children = [...this.#children.values()];
    this.#children.clear();
    await Promise.all(children.map(stopDaemon));
    await this.lab.down(); // what the relays forked dies with the namespaces
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.down();
  }
}
