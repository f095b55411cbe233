import { assertEquals } from "../tests/testing/assert.ts";
import {
  DATA_ENV_VARS,
  dataDirs,
  dataFilesRead,
  findDataFile,
  noteDataFileRead,
  resetDataFilesRead,
} from "./data_files.ts";
import { parseOptions } from "./options.ts";
import { dataFilesLines } from "./output/normal.ts";

/** A temp tree: datadir, PORTHOLE_DATADIR, HOME (.porthole, .nmap), NMAPDIR, two system dirs. */
function tree() {
  const root = Deno.makeTempDirSync({ prefix: "ph-datadir-" });
  const d = {
    datadir: `${root}/dd`,
    env: `${root}/env`,
    home: `${root}/home`,
    nmapdir: `${root}/nmapdir`,
    local: `${root}/usr/local/share/nmap`,
    share: `${root}/usr/share/nmap`,
  };
  for (const p of [d.datadir, d.env, `${d.home}/.porthole`, d.nmapdir, `${d.home}/.nmap`]) {
    Deno.mkdirSync(p, { recursive: true });
  }
  Deno.mkdirSync(d.local, { recursive: true });
  Deno.mkdirSync(d.share, { recursive: true });
  const environment = {
    env: (k: string) =>
      ({ PORTHOLE_DATADIR: d.env, HOME: d.home, NMAPDIR: d.nmapdir } as Record<string, string>)[k],
    systemDirs: [d.local, d.share],
  };
  return { root, d, environment };
}

Deno.test("data files: searched in order --datadir, PORTHOLE_DATADIR, ~/.porthole, NMAPDIR, ~/.nmap, /usr/local/share/nmap, /usr/share/nmap", () => {
  const { root, d, environment } = tree();
  try {
    const order = [
      d.datadir,
      d.env,
      `${d.home}/.porthole`,
      d.nmapdir,
      `${d.home}/.nmap`,
      d.local,
      d.share,
    ];
    assertEquals(dataDirs(d.datadir, environment), order);
    // Each file is looked up on its own: put one in every directory, then take the winner away.
    for (const dir of order) Deno.writeTextFileSync(`${dir}/nmap-os-db`, dir);
    Deno.writeTextFileSync(`${d.share}/nmap-services`, "");
    for (const dir of order) {
      assertEquals(findDataFile("nmap-os-db", d.datadir, environment), `${dir}/nmap-os-db`);
      Deno.removeSync(`${dir}/nmap-os-db`);
    }
    assertEquals(findDataFile("nmap-os-db", d.datadir, environment), undefined);
    assertEquals(findDataFile("nmap-services", d.datadir, environment), `${d.share}/nmap-services`);
    // A directory by the file's name is not a file.
    Deno.mkdirSync(`${d.env}/nmap-rpc`);
    Deno.writeTextFileSync(`${d.nmapdir}/nmap-rpc`, "");
    assertEquals(findDataFile("nmap-rpc", undefined, environment), `${d.nmapdir}/nmap-rpc`);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("data files: unset variables and no --datadir leave their places out", () => {
  const none = { env: () => undefined, systemDirs: ["/usr/share/nmap"] };
  assertEquals(dataDirs(undefined, none), ["/usr/share/nmap"]);
  const homeOnly = { env: (k: string) => k === "HOME" ? "/h" : "", systemDirs: [] };
  assertEquals(dataDirs("", homeOnly), ["/h/.porthole", "/h/.nmap"]);
  assertEquals([...DATA_ENV_VARS].sort(), ["HOME", "NMAPDIR", "PORTHOLE_DATADIR"]);
});

Deno.test("--datadir is taken (nmap's option), not refused", () => {
  const o = parseOptions(["--datadir", "/tmp/x", "-p", "22", "127.0.0.1"]);
  assertEquals(o.datadir, "/tmp/x");
});

Deno.test("data files: files read are noted, the last read of a name winning", () => {
  resetDataFilesRead();
  noteDataFileRead("nmap-os-db", "/a/nmap-os-db");
  noteDataFileRead("nmap-os-db", "/b/nmap-os-db");
  assertEquals(dataFilesRead(), { "nmap-os-db": "/b/nmap-os-db" });
  resetDataFilesRead();
  assertEquals(dataFilesRead(), {});
});

Deno.test("data files: -v's report is nmap's printdatafilepaths()", () => {
  const one = {
    "nmap-services": "/usr/share/nmap/nmap-services",
    "nmap-service-probes": "/usr/share/nmap/nmap-service-probes",
  };
  assertEquals(dataFilesLines(one, 0, 0), []);
  assertEquals(dataFilesLines(one, 1, 0), ["Read data files from: /usr/share/nmap"]);
  assertEquals(dataFilesLines(one, 1, 1), [
    "Read from /usr/share/nmap: nmap-service-probes nmap-services.",
  ]);
  const two = { ...one, "nmap-os-db": "/root/.nmap/nmap-os-db" };
  assertEquals(dataFilesLines(two, 0, 0), [
    "Read from /root/.nmap: nmap-os-db.",
    "Read from /usr/share/nmap: nmap-service-probes nmap-services.",
  ]);
  assertEquals(dataFilesLines({}, 2, 0), []);
  assertEquals(dataFilesLines({}, 0, 1), ["No data files read."]);
});

Deno.test("nmap-services: --servicedb overrides, a found file replaces the built-in table", async () => {
  const { servicesDbFor, defaultServicesDb } = await import("./services_db.ts");
  const root = Deno.makeTempDirSync({ prefix: "ph-services-" });
  try {
    Deno.mkdirSync(`${root}/dd`);
    Deno.writeTextFileSync(`${root}/dd/nmap-services`, "found-ssh\t22/tcp\t0.5\n");
    Deno.writeTextFileSync(`${root}/explicit`, "explicit-ssh\t22/tcp\t0.5\n");
    resetDataFilesRead();
    assertEquals(servicesDbFor(undefined, `${root}/dd`).name("tcp", 22), "found-ssh");
    assertEquals(dataFilesRead(), { "nmap-services": `${root}/dd/nmap-services` });
    assertEquals(servicesDbFor(`${root}/explicit`, `${root}/dd`).name("tcp", 22), "explicit-ssh");
    // A copy of the file the built-in table was made from is not parsed again.
    try {
      Deno.mkdirSync(`${root}/same`);
      Deno.copyFileSync("/usr/share/nmap/nmap-services", `${root}/same/nmap-services`);
      const same = servicesDbFor(undefined, `${root}/same`);
      if (same !== defaultServicesDb()) {
        // Another nmap release than the built-in table's: parsed, still a table.
        assertEquals(same.name("tcp", 22), "ssh");
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  } finally {
    resetDataFilesRead();
    Deno.removeSync(root, { recursive: true });
  }
});
