import { deepEqual, equal, throws } from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { readCommandLine } from "./parse.ts";

const read = (...argv: string[]) => readCommandLine(argv, "porthole", new Date(0));

Deno.test("parse: reading the options opens no file and no services table", () => {
  // Each of these fails in a later step (port_lists.ts, file_checks.ts), none while reading.
  const s = read("-iL", "/nonexistent/a", "--servicedb", "/nonexistent/b", "-p", "no-such-name");
  equal(s.o.inputList, "/nonexistent/a");
  equal(s.servicedb, "/nonexistent/b");
  equal(s.o.portExpression, "no-such-name");
  deepEqual(s.o.ports, []);
});

Deno.test("parse: -h and -V stop reading; what follows is never looked at", () => {
  equal(read("-v", "-h", "--no-such-option").o.show, "help");
  equal(read("-V", "-s").o.show, "version");
  throws(() => read("--no-such-option", "-h"), UsageError);
});
