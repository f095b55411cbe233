import { deepEqual, equal } from "node:assert/strict";
import { parseOptions } from "../options.ts";
import {
  firstMissing,
  missingPermissionSentence,
  permissionMessage,
  scanPermissionNeeds,
} from "./permissions.ts";

const names = (args: string[], privileged: boolean) => {
  const o = parseOptions(args);
  const scans = o.scans.length ? o.scans : [privileged ? "syn" as const : "connect" as const];
  return scanPermissionNeeds(o, scans, privileged).map((n) =>
    n.descriptor.name + ("path" in n.descriptor && n.descriptor.path ? `:${n.descriptor.path}` : "")
  );
};

Deno.test("permissions: each scan needs what it uses, and no more", () => {
  // A raw scan of an address without DNS needs nothing beyond FFI (asked by rawAccess).
  deepEqual(names(["-n", "-Pn", "-p22", "10.0.0.1"], true), []);
  deepEqual(names(["-n", "-Pn", "-sT", "-p22", "10.0.0.1"], false), ["net"]);
  // Unprivileged discovery connects; names are looked up in /etc/hosts and the DNS.
  deepEqual(names(["-p22", "scanme.lab"], false), ["net", "net", "read:/etc/hosts", "net"]);
  deepEqual(names(["-6", "-n", "-sV", "-p22", "fd00::1/120"], true), ["net"]);
  deepEqual(names(["-n", "-Pn", "-e", "eth0", "-oX", "x.xml", "-oN", "-", "10.0.0.0/24"], true), [
    "ffi",
    "write:x.xml",
  ]);
});

Deno.test("permissions: the sentence names the permission and the flag", () => {
  equal(
    missingPermissionSentence("net", "for a connect scan (-sT)"),
    "Porthole needs Deno's net permission for a connect scan (-sT): run Deno with --allow-net",
  );
  equal(firstMissing([{ descriptor: { name: "read", path: "/etc/hosts" }, why: "x" }]), undefined);
});

Deno.test("permissions: Deno's refusal anywhere becomes the same sentence", () => {
  const e = new Deno.errors.NotCapable(
    'Requires net access to "10.0.0.1:80", run again with the --allow-net flag',
  );
  equal(
    permissionMessage(e),
    `Porthole needs Deno's net permission (it asked for "10.0.0.1:80"): run Deno with --allow-net`,
  );
  equal(
    permissionMessage(new Deno.errors.NotCapable('Requires sys access to "uid"')),
    `Porthole needs Deno's sys permission (it asked for "uid"): run Deno with --allow-sys`,
  );
  equal(permissionMessage(new Error("Requires net access to x")), undefined);
  equal(
    permissionMessage(new Deno.errors.PermissionDenied("Permission denied (os error 13)")),
    undefined,
  );
});
