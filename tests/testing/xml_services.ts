/**
 * The `<service …>` element of each port in an `-oX` report, as written (attributes in the
 * writer's order), for tests that compare Porthole's XML with nmap's port by port.
 */

/** "port/proto" → the port's `<service …` element without its closing `/>` ("" when none). */
export function xmlServices(xml: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of xml.matchAll(/<port protocol="(\w+)" portid="(\d+)">[^]*?<\/port>/g)) {
    const svc = /<service [^>]*?\/?>/.exec(m[0])?.[0] ?? "";
    found.set(`${m[2]}/${m[1]}`, svc.replace(/\/?>$/, ""));
  }
  return found;
}
