import assert from "node:assert/strict";

const deno = Deno.execPath();
const mainTs = new URL("./main.ts", import.meta.url).pathname;

// No --allow-net or --allow-ffi: whatever the code does, it cannot send a packet.
async function runBare(args: string[]) {
  const out = await new Deno.Command(deno, {
    args: ["run", "--quiet", "--allow-read", "--allow-env", mainTs, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("bare porthole: the usage text on stdout and nmap's exit status (255)", async () => {
  const bare = await runBare([]);
  const help = await runBare(["--help"]);
  assert.equal(help.code, 0);
  assert.equal(bare.code, 255);
  assert.equal(bare.stdout, help.stdout);
  assert.match(
    bare.stdout,
    /^Usage: porthole \[Scan Type\(s\)\] \[Options\] \{target specification\}$/m,
  );
  assert.equal(bare.stderr, "");
});

Deno.test("--thc: nmap's greeting on stdout, exit 0, nothing else read", async () => {
  const r = await runBare(["--thc", "--no-such-option"]);
  assert.deepEqual(r, {
    code: 0,
    stdout: "!!Greets to Van Hauser, Plasmoid, Skyper and the rest of THC!!\n",
    stderr: "",
  });
});
