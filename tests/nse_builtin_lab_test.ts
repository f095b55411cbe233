/**
 * Porthole's built-in scripts on a host without nmap's scripts: nmap's data directory is hidden
 * (an empty directory bind-mounted over it, in a private mount namespace), and -sC and --script
 * on the scanme replica still print what nmap's scripts of the same ids print there.
 */

import assert from "node:assert/strict";
import { Lab, labUnavailable } from "./lab/mod.ts";
import { missingTools } from "./_oracle.ts";
import { NMAP_DATA_DIRS } from "../cli/scripts/mod.ts";

const haveScripts = NMAP_DATA_DIRS.some((d) => {
  try {
    return Deno.statSync(`${d}/scripts/script.db`).isFile;
  } catch {
    return false;
  }
});

/**
 * The script blocks of a normal report ("| id: …" or "|_id: …" and the lines under it), sorted:
 * nmap orders a port's scripts as they finish (http-title came before and after
 * http-server-header in two runs on this lab), so the order is not part of the comparison.
 */
const scriptBlocks = (out: string) => {
  const blocks: string[] = [];
  for (const l of out.split("\n").filter((l) => /^\|[ _]/.test(l))) {
    if (/^\|[ _][\w.-]+:/.test(l) || blocks.length === 0) blocks.push(l);
    else blocks[blocks.length - 1] += "\n" + l;
  }
  return blocks.sort();
};
/** The <script …>…</script> elements of an XML report, sorted (see scriptBlocks). */
const scriptXml = (xml: string) => (xml.match(/<script id=[^]*?(?:\/>|<\/script>)/g) ?? []).sort();

Deno.test({
  name: "nse builtin lab: with nmap's data hidden, -sC and --script give nmap's script output",
  ignore: !haveScripts || missingTools("nmap", "unshare", "mount").length > 0 ||
    (await labUnavailable()) !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using lab = await Lab.up({ tag: "nsbi", scenario: "scanme" });
    const dir = await Deno.makeTempDir({ prefix: "ph-nsbi-" });
    const empty = `${dir}/empty`;
    await Deno.mkdir(empty);
    try {
      /** Porthole in a mount namespace of its own where nmap's data directories are empty. */
      const bare = async (args: string[]) => {
        const argv = (await lab.portholeArgv(args)).slice(4);
        const hide = `for d in ${NMAP_DATA_DIRS.join(" ")}; do ` +
          `[ -d "$d" ] && { mount --bind "${empty}" "$d" || exit 99; }; done; ` +
          `[ ! -e /usr/share/nmap/scripts ] || exit 98; exec "$@"`;
        return await lab.runInScanner(["unshare", "-m", "sh", "-c", hide, "sh", ...argv], {
          timeoutMs: 300_000,
        });
      };
      const cases: [string, string[]][] = [
        ["-sC", ["-sC", "-p", "22,80"]],
        ["--script banner,http-title,http-server-header", [
          "--script",
          "banner,http-title,http-server-header",
          "-p",
          "22,80",
        ]],
      ];
      for (const [name, args] of cases) {
        await t.step(name, async () => {
          const a = [...args, lab.target.v4];
          const theirs = await lab.nmap([...a, "-oX", `${dir}/nmap.xml`], { timeoutMs: 300_000 });
          assert.equal(theirs.code, 0, theirs.stderr);
          const ours = await bare([...a, "-oX", `${dir}/ph.xml`]);
          assert.equal(ours.code, 0, ours.stdout + ours.stderr);
          const nmapBlocks = scriptBlocks(theirs.stdout);
          assert.ok(nmapBlocks.length > 0, "nmap printed no script output: nothing to compare");
          assert.deepEqual(scriptBlocks(ours.stdout), nmapBlocks, ours.stdout);
          assert.deepEqual(
            scriptXml(await Deno.readTextFile(`${dir}/ph.xml`)),
            scriptXml(await Deno.readTextFile(`${dir}/nmap.xml`)),
          );
        });
      }
      await t.step({
        name: "a Python web server with a robots.txt: http-robots.txt, http-methods (no OPTIONS)",
        ignore: missingTools("python3").length > 0,
        async fn() {
          const www = `${dir}/www`;
          await Deno.mkdir(www);
          // Comments, Allow lines, another agent and a repeated path; short enough for one line
          // (nmap's line breaks in long lists are not reproduced).
          const robots = [
            "User-agent: *",
            "Disallow: /admin/ # staff",
            "Allow: /pub",
            "Disallow: /tmp/",
            "",
            "User-agent: Googlebot",
            "disallow: /nogoogle",
            "Disallow: /tmp/",
          ];
          await Deno.writeTextFile(`${www}/robots.txt`, robots.join("\n") + "\n");
          await Deno.writeTextFile(`${www}/index.html`, "<html><title>py &amp; lab</title></html>");
          const server = new Deno.Command("ip", {
            args: ["netns", "exec", lab.target.ns, "python3", "-m", "http.server", "8000"]
              .concat(["--bind", lab.target.v4, "--directory", www]),
            stdout: "null",
            stderr: "null",
          }).spawn();
          try {
            const probe = [
              "--script",
              "http-robots.txt,http-methods,http-title,http-server-header",
            ];
            for (const v of [[], ["-v"]]) {
              const a = [...v, ...probe, "-p", "8000", lab.target.v4];
              let theirs;
              for (let i = 0; i < 20; i++) { // until the server listens
                theirs = await lab.nmap(a, { timeoutMs: 120_000 });
                if (theirs.stdout.includes("http-robots.txt")) break;
                await new Promise((r) => setTimeout(r, 500));
              }
              const nmapBlocks = scriptBlocks(theirs!.stdout);
              assert.ok(nmapBlocks.some((b) => b.includes("3 disallowed entries")), theirs!.stdout);
              const ours = await bare(a);
              assert.equal(ours.code, 0, ours.stdout + ours.stderr);
              assert.deepEqual(scriptBlocks(ours.stdout), nmapBlocks, ours.stdout);
            }
          } finally {
            // The server may have died already: its end must not hide the assertion's.
            try {
              server.kill();
            } catch { /* already gone */ }
            await server.status;
          }
        },
      });
      await t.step({
        name:
          "an OpenSSH with ECDSA and Ed25519 host keys (and an RSA one it will not sign with ssh-rsa): ssh-hostkey",
        ignore: missingTools("ssh-keygen", "/usr/sbin/sshd").length > 0,
        async fn() {
          const ssh = `${dir}/ssh`;
          await Deno.mkdir(ssh);
          await Deno.mkdir("/run/sshd", { recursive: true });
          const conf = ["Port 2200", `ListenAddress ${lab.target.v4}`, "UsePAM no"];
          for (const k of ["rsa", "ecdsa", "ed25519"]) {
            const gen = await new Deno.Command("ssh-keygen", {
              args: ["-q", "-t", k, "-N", "", "-f", `${ssh}/host_${k}`],
            }).output();
            assert.ok(gen.success, new TextDecoder().decode(gen.stderr));
            conf.push(`HostKey ${ssh}/host_${k}`);
          }
          await Deno.writeTextFile(`${ssh}/sshd_config`, conf.join("\n") + "\n");
          const server = new Deno.Command("ip", {
            args: ["netns", "exec", lab.target.ns, "/usr/sbin/sshd", "-D", "-e", "-f"]
              .concat([`${ssh}/sshd_config`]),
            stdout: "null",
            stderr: "null",
          }).spawn();
          try {
            // -sV names the service "ssh" on a port that is not 22, as the portrule wants.
            const a = ["-sV", "--script", "ssh-hostkey", "-p", "2200", lab.target.v4];
            let theirs;
            for (let i = 0; i < 20; i++) { // until the server listens
              theirs = await lab.nmap(a, { timeoutMs: 120_000 });
              if (theirs.stdout.includes("ssh-hostkey")) break;
              await new Promise((r) => setTimeout(r, 500));
            }
            const nmapBlocks = scriptBlocks(theirs!.stdout);
            assert.ok(nmapBlocks.some((b) => b.includes("(ED25519)")), theirs!.stdout);
            const ours = await bare(a);
            assert.equal(ours.code, 0, ours.stdout + ours.stderr);
            assert.deepEqual(scriptBlocks(ours.stdout), nmapBlocks, ours.stdout);
          } finally {
            // The server may have died already: its end must not hide the assertion's.
            try {
              server.kill();
            } catch { /* already gone */ }
            await server.status;
          }
        },
      });
      await t.step("--script-help names the built-in script and says nmap's wins", async () => {
        const r = await bare(["--script-help", "http-title"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^http-title\nCategories: default discovery safe\n/m);
        assert.match(r.stdout, /Porthole's built-in script: nmap's\s+http-title runs instead/);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
