/**
 * nmap's service fingerprint ("SF:" lines) for services no match line
 * recognised, and the escaping used to show raw bytes in traces.
 *
 * Format (service_scan.cc addToServiceFingerprint):
 *   SF-Port<port>-<TCP|UDP>:V=<version>[%T=SSL]%I=<intensity>%D=<m>/<d>%Time=<hex epoch>%P=<platform>
 *   %r(<probe>,<hex total length>,"<escaped response, at most 900 bytes (1300 with -d)>")...
 * wrapped every 74 characters with "\nSF:" and terminated by ";".
 */

/** Escapes bytes the way nmap writes them into a fingerprint. */
export function escapeFingerprintBytes(resp: Uint8Array): string {
  let out = "";
  for (let i = 0; i < resp.length; i++) {
    const c = resp[i]!;
    const ch = String.fromCharCode(c);
    if (/[0-9A-Za-z]/.test(ch)) out += ch;
    else if (c === 0) {
      // "\0" followed by a digit would read as an octal escape in PCRE.
      const next = resp[i + 1];
      out += next !== undefined && next >= 0x30 && next <= 0x39 ? "\\x00" : "\\0";
    } else if ('\\?"[]().*+$^|'.includes(ch)) out += "\\" + ch;
    else if (c > 0x20 && c < 0x7f) out += ch; // remaining punctuation
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x09) out += "\\t";
    else out += "\\x" + c.toString(16).padStart(2, "0");
  }
  return out;
}

/** Builds one service's fingerprint as responses come in. */
export class FingerprintBuilder {
  private text = "";
  private readonly wrap = 74;
  /** Each probe's reply as recorded (cut to 900 or 1300 bytes), first record per probe. */
  readonly recorded = new Map<string, Uint8Array>();

  constructor(
    private readonly header: {
      port: number;
      protocol: "tcp" | "udp";
      version: string;
      intensity: number;
      platform: string;
      ssl: boolean;
      debug: boolean;
      now?: Date;
    },
  ) {}

  /** Appends characters, inserting "\nSF:" every `wrap` characters as nmap does. */
  private add(s: string): void {
    for (const ch of s) {
      // nmap counts the "\nSF:" it inserted, so lines after the first hold 70 characters.
      if (this.text.length % (this.wrap + 1) === this.wrap) this.text += "\nSF:";
      this.text += ch;
    }
  }

  /** Records one probe's response (only non-empty responses are recorded). */
  addResponse(probeName: string, resp: Uint8Array): void {
    if (resp.length === 0) return;
    if (this.text.length > (this.header.debug ? 10000 : 2200)) return; // large enough
    if (this.text.length === 0) {
      const h = this.header;
      const now = h.now ?? new Date();
      const epoch = Math.floor(now.getTime() / 1000);
      this.add(
        `SF-Port${h.port}-${h.protocol.toUpperCase()}:V=${h.version}${
          h.ssl ? "%T=SSL" : ""
        }%I=${h.intensity}` +
          `%D=${now.getMonth() + 1}/${now.getDate()}%Time=${
            epoch.toString(16).toUpperCase()
          }%P=${h.platform}`,
      );
    }
    const used = resp.subarray(0, this.header.debug ? 1300 : 900);
    if (!this.recorded.has(probeName)) this.recorded.set(probeName, used.slice());
    this.add(`%r(${probeName},${resp.length.toString(16).toUpperCase()},"`);
    this.add(escapeFingerprintBytes(used));
    this.add('")');
  }

  /** Forgets everything (nmap does so when it restarts probing through SSL). */
  reset(ssl: boolean): void {
    this.text = "";
    this.recorded.clear();
    this.header.ssl = ssl;
  }

  /** The finished fingerprint (with its closing ";"), or undefined if empty. */
  result(): string | undefined {
    return this.text === "" ? undefined : this.text + ";";
  }
}

/** Removes the "\nSF:" line wraps, as nmap does for the XML servicefp attribute. */
export function unwrapFingerprint(fp: string): string {
  return fp.replaceAll("\nSF:", "");
}

/**
 * Escapes bytes for a one-line display (traces, logs): printable ASCII kept,
 * backslash and double quote escaped, \r \n \t named, other bytes as \xHH.
 */
export function escapeForDisplay(data: Uint8Array | string, max = 512): string {
  let out = "";
  const n = Math.min(data.length, max);
  for (let i = 0; i < n; i++) {
    const c = typeof data === "string" ? data.charCodeAt(i) & 0xff : data[i]!;
    if (c === 0x5c) out += "\\\\";
    else if (c === 0x22) out += '\\"';
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x09) out += "\\t";
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += "\\x" + c.toString(16).padStart(2, "0");
  }
  if (data.length > max) out += `...(${data.length - max} more bytes)`;
  return out;
}

/**
 * nmap's cstringSanityCheck for version fields: cut to `len` characters and
 * replace anything but printable ASCII with ".".
 */
export function sanitizeField(s: string | undefined, len: number): string | undefined {
  if (s === undefined) return undefined;
  const cut = s.length > len ? s.slice(0, len) : s;
  return cut.replace(/[^\x20-\x7e]/g, ".");
}
