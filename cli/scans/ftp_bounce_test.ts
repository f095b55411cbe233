import { deepEqual, equal } from "node:assert/strict";
import { portArgument, takeReply } from "./ftp_bounce.ts";

Deno.test("ftp bounce: PORT's argument (RFC 959 §4.1.2)", () => {
  equal(portArgument("10.217.1.1", 31337), "10,217,1,1,122,105");
  equal(portArgument("192.168.0.9", 21), "192,168,0,9,0,21");
});

Deno.test("ftp bounce: replies taken whole, one at a time, multi-line ones to their last line", () => {
  deepEqual(takeReply("150 Here comes the directory listing.\r\n226 Directory send OK.\r\n"), {
    reply: { code: 150, text: "150 Here comes the directory listing." },
    rest: "226 Directory send OK.\r\n",
  });
  equal(takeReply("150 Here comes"), null);
  const multi = "220-Welcome\r\n220-to the lab\r\n 220 not the end\r\n220 ready\r\n331 next";
  deepEqual(takeReply(multi), {
    reply: { code: 220, text: "220-Welcome\r\n220-to the lab\r\n 220 not the end\r\n220 ready" },
    rest: "331 next",
  });
  equal(takeReply("220-Welcome\r\n220-still\r\n"), null);
  deepEqual(takeReply("500 OOPS: Illegal port request\r\n500 OOPS: priv_sock_get_cmd\r\n")?.reply, {
    code: 500,
    text: "500 OOPS: Illegal port request",
  });
});
