/**
 * -b [user[:pass]@]server[:port]: the FTP server an FTP bounce scan relays through, read as
 * nmap's parse_bounce_argument reads it (the last '@' ends the login, the first ':' after it
 * starts the port), with nmap's defaults: anonymous, password "-wwwuser@", port 21.
 *
 * @module
 */

import { fatal } from "../errors.ts";
import type { FtpRelay } from "./types.ts";

/** nmap's FTPUSER and FTPPASS (nmap_ftp.h). */
export const FTP_DEFAULT_USER = "anonymous";
export const FTP_DEFAULT_PASS = "-wwwuser@";

/** The relay of `arg`, and nmap's note when only a user name was given. */
export function parseFtpRelay(arg: string): { relay: FtpRelay; note?: string } {
  let user = FTP_DEFAULT_USER;
  let pass = FTP_DEFAULT_PASS;
  let note: string | undefined;
  let rest = arg;
  const at = arg.lastIndexOf("@");
  if (at >= 0) {
    const login = arg.slice(0, at);
    rest = arg.slice(at + 1);
    const colon = login.indexOf(":");
    if (colon >= 0) {
      user = login.slice(0, colon);
      pass = login.slice(colon + 1);
    } else {
      user = login;
      note = `Assuming ${login} is a username, and using the default password: ${pass}`;
    }
  }
  const colon = rest.indexOf(":");
  const host = colon >= 0 ? rest.slice(0, colon) : rest;
  const portText = colon >= 0 ? rest.slice(colon + 1) : "21";
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : 0;
  if (host === "" || port < 1 || port > 65535) {
    fatal(
      "Your argument to -b is b0rked. Use the normal url style:  user:pass@server:port or just use server and use default anon login",
    );
  }
  return { relay: { user, pass, host, port }, note };
}
