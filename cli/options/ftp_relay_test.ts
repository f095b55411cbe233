import { deepEqual, equal, match, throws } from "node:assert/strict";
import { parseOptions } from "./mod.ts";
import { parseFtpRelay } from "./ftp_relay.ts";

Deno.test("-b: nmap's [user[:pass]@]server[:port], anonymous on port 21 by default", () => {
  deepEqual(parseFtpRelay("ftp.lab").relay, {
    user: "anonymous",
    pass: "-wwwuser@",
    host: "ftp.lab",
    port: 21,
  });
  deepEqual(parseFtpRelay("bob:s3:cr@t@10.0.0.1:2121").relay, {
    user: "bob",
    pass: "s3:cr@t",
    host: "10.0.0.1",
    port: 2121,
  });
  const only = parseFtpRelay("bob@h");
  equal(only.relay.user, "bob");
  equal(only.note, "Assuming bob is a username, and using the default password: -wwwuser@");
  for (const bad of ["", "h:0", "h:x", "u@", "h:70000"]) throws(() => parseFtpRelay(bad), /b0rked/);
});

Deno.test("-b: a TCP scan of its own, no privileges, IPv4 only, nmap's -Pn hint", () => {
  const o = parseOptions(["-b", "ftp.lab", "t"]);
  deepEqual(o.scans, ["bounce"]);
  equal(o.ftpRelay?.host, "ftp.lab");
  match((o.warnings ?? []).join("\n"), /remember to use -Pn/);
  equal((parseOptions(["-Pn", "-b", "ftp.lab", "t"]).warnings ?? []).length, 0);
  throws(() => parseOptions(["-sT", "-b", "ftp.lab", "t"]), /more than one type of TCP scan/);
  throws(
    () => parseOptions(["-6", "-b", "ftp.lab", "::1"]),
    /FTP bounce scan.*not supported with IPv6/,
  );
});
