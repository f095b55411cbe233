/**
 * A real PostgreSQL server for tests: Debian's postgresql package, a fresh cluster made with
 * initdb in a temporary folder, started with pg_ctl as the postgres user on a unix socket in
 * that folder and 127.0.0.1 on a free port, stopped and removed by `stop()` (also through
 * `await using`), even when the test failed.
 *
 *     await using pg = await startPostgres();
 *     const url = pg.url; // postgres://postgres@127.0.0.1:PORT/postgres
 *
 * @module
 */

/** Why no server can be started here (for a test's `ignore:`), or null. */
export function postgresUnavailable(): string | null {
  if (Deno.build.os !== "linux") return "PostgreSQL tests run on Linux only";
  if (!pgBin()) return "Debian's postgresql package is not installed (tools/setup.sh installs it)";
  try {
    if (Deno.uid() !== 0) return "starting PostgreSQL as the postgres user needs root";
  } catch {
    return "no permission to read the user id";
  }
  return null;
}

function pgBin(): string | null {
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => e.name).sort((a, b) =>
      Number(b) - Number(a)
    );
    for (const v of versions) {
      const bin = `/usr/lib/postgresql/${v}/bin`;
      try {
        Deno.statSync(`${bin}/initdb`);
        return bin;
      } catch {
        // next version
      }
    }
  } catch {
    // not installed
  }
  return null;
}

/** A running test server. */
export interface TestPostgres {
  /** TCP URL (127.0.0.1). */
  url: string;
  /** Unix-socket URL (the socket folder as host). */
  socketUrl: string;
  port: number;
  /** Stops the server at once (immediate shutdown), keeping its files: for "the server went
   * away" tests. */
  kill(): Promise<void>;
  /** Starts it again after kill(). */
  restart(): Promise<void>;
  /** Stops it and removes its files (idempotent). */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Makes a cluster and starts it. */
export async function startPostgres(): Promise<TestPostgres> {
  const why = postgresUnavailable();
  if (why) throw new Error(why);
  const bin = pgBin()!;
  const dir = await Deno.makeTempDir({ prefix: "ph-pg-" });
  const data = `${dir}/data`;
  const as = (args: string[]) => run(["runuser", "-u", "postgres", "--", ...args]);
  let stopped = false;
  const port = freePort();
  const pgctl = (what: string[]) =>
    as([
      `${bin}/pg_ctl`,
      "-D",
      data,
      "-l",
      `${dir}/log`,
      "-w",
      "-t",
      "60",
      ...what,
    ]);
  const start = async () => {
    const r = await pgctl([
      "-o",
      `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "start",
    ]);
    if (r.code !== 0) {
      let log = "";
      try {
        log = await Deno.readTextFile(`${dir}/log`);
      } catch {
        // no log
      }
      throw new Error(`pg_ctl start failed: ${r.out}${log}`);
    }
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await pgctl(["-m", "immediate", "stop"]);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await run(["chown", "postgres:postgres", dir]);
    const init = await as([
      `${bin}/initdb`,
      "-D",
      data,
      "-A",
      "trust",
      "-U",
      "postgres",
      "-E",
      "UTF8",
    ]);
    if (init.code !== 0) throw new Error(`initdb failed: ${init.out}`);
    await start();
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    socketUrl: `postgres://postgres@/postgres?host=${encodeURIComponent(dir)}&port=${port}`,
    port,
    kill: async () => {
      await pgctl(["-m", "immediate", "stop"]);
    },
    restart: start,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
