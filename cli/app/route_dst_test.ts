import { equal, rejects } from "node:assert/strict";
import { routeDstText } from "./route_dst.ts";
import type { RawRoute } from "../engine/route.ts";
import { UsageError } from "../errors.ts";

/** getaddrinfo as the lab's hosts file answers it. */
const resolver = (name: string, family: 4 | 6) =>
  name === "gw.lab" && family === 4
    ? Promise.resolve("10.9.0.1")
    : /^[\d.]+$/.test(name)
    ? Promise.resolve(name)
    : Promise.reject(new Error("Name or service not known"));

/** Routes as the engine gives them: on-link 10.0.0.0/24 on eth0, the rest through 10.0.0.254. */
function findRoute(address: string): RawRoute {
  if (address.startsWith("192.0.2.")) throw new Error("no route");
  const onLink = address.startsWith("10.0.0.");
  return {
    family: 4,
    iface: "eth0",
    source: "10.0.0.2",
    ...(onLink ? {} : { gateway: "10.0.0.254" }),
    nextHop: onLink ? address : "10.0.0.254",
  } as RawRoute;
}

Deno.test("--route-dst: nmap's lines for a direct route, a gateway and no route", async () => {
  const text = await routeDstText(
    ["10.0.0.7", "gw.lab", "192.0.2.1"],
    { ipv6: false },
    resolver,
    findRoute,
  );
  equal(
    text,
    "10.0.0.7\neth0 eth0 srcaddr 10.0.0.2 direct\n" +
      "10.9.0.1\neth0 eth0 srcaddr 10.0.0.2 nexthop 10.0.0.254\n" +
      "192.0.2.1\nCan't route 192.0.2.1 (192.0.2.1).\n",
  );
});

Deno.test("--route-dst: a name that does not resolve ends the run, as nmap's fatal()", async () => {
  await rejects(
    () => routeDstText(["nowhere.lab"], { ipv6: false }, resolver, findRoute),
    (e) =>
      e instanceof UsageError &&
      e.message === "Can't resolve nowhere.lab: Name or service not known.",
  );
});
