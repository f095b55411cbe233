import assert from "node:assert/strict";
import {
  BUILTIN_RPC_PROGRAMS,
  mergeRpcPrograms,
  parseNmapRpc,
  RpcPrograms,
  rpcPrograms,
} from "./rpc_programs.ts";
import { dataFilesRead, resetDataFilesRead } from "../data_files.ts";

const SAMPLE = `# comment line
rpcbind\t\t100000\tportmap sunrpc rpcbind pmapprog\t# portmapper
  nlockmgr\t100021\tnetlockprog
status\t\t100024\tstatd rpc.statd statmon2
#commented 100099
status2\t100024
bad line
`;

Deno.test("parseNmapRpc: name and number per line, in file order, comments and junk skipped", () => {
  assert.deepEqual(parseNmapRpc(SAMPLE), [
    { name: "rpcbind", number: 100000 },
    { name: "nlockmgr", number: 100021 },
    { name: "status", number: 100024 },
    { name: "status2", number: 100024 },
  ]);
});

Deno.test("RpcPrograms: a number listed twice is named by its last line, as nmap's rpcinfo names it", () => {
  const p = new RpcPrograms(parseNmapRpc(SAMPLE));
  assert.equal(p.name(100024), "status2");
  assert.equal(p.name(100021), "nlockmgr");
  assert.equal(p.name(2112), undefined);
});

Deno.test("mergeRpcPrograms: nmap's programs first, then the built-in ones it lacks", () => {
  const merged = mergeRpcPrograms(parseNmapRpc(SAMPLE));
  assert.deepEqual(merged.slice(0, 4).map((p) => p.number), [100000, 100021, 100024, 100024]);
  assert.equal(merged.filter((p) => p.number === 100000).length, 1);
  assert.ok(merged.some((p) => p.name === "kerberos-adm" && p.number === 2112));
  assert.equal(merged.length, 4 + BUILTIN_RPC_PROGRAMS.length - 3);
});

Deno.test("rpcPrograms: nmap-rpc from --datadir is read and noted; without one, the built-in table", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/nmap-rpc`, SAMPLE);
    resetDataFilesRead();
    const p = rpcPrograms(dir);
    assert.equal(p.list[0]!.name, "rpcbind");
    assert.equal(p.name(100024), "status2");
    assert.equal(dataFilesRead()["nmap-rpc"], `${dir}/nmap-rpc`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // The built-in names are nmap-rpc's where nmap's file is installed.
  const installed = (() => {
    try {
      return parseNmapRpc(Deno.readTextFileSync("/usr/share/nmap/nmap-rpc"));
    } catch {
      return undefined;
    }
  })();
  if (installed) {
    const theirs = new RpcPrograms(installed);
    for (const p of BUILTIN_RPC_PROGRAMS) {
      const name = theirs.name(p.number);
      if (name !== undefined) assert.equal(p.name, name, `program ${p.number}`);
    }
  }
});
