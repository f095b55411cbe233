/**
 * Where a writer's text goes: a file written synchronously (so every host is
 * on disk the moment its writer returns, and a Ctrl-C or crash loses nothing
 * already reported), or a function such as the CLI's stdout.
 */

/** A text destination. `write` has completed when it returns. */
export interface Sink {
  write(text: string): void;
  close(): void;
}

const encoder = new TextEncoder();

/** Writes all of `bytes` to `file`, looping over short writes. */
export function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
}

/** A file written with synchronous writes. */
export class FileSink implements Sink {
  #file: Deno.FsFile | undefined;

  constructor(readonly path: string, file: Deno.FsFile) {
    this.#file = file;
  }

  /** Opens `path` for writing: created if missing, truncated unless `append`. */
  static open(path: string, append: boolean): FileSink {
    const file = Deno.openSync(path, { write: true, create: true, append, truncate: !append });
    return new FileSink(path, file);
  }

  write(text: string): void {
    if (!this.#file || text === "") return;
    writeAllSync(this.#file, encoder.encode(text));
  }

  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }
}

/** Sends text to a function (the CLI's stdout writer, or a test's buffer). */
export class FunctionSink implements Sink {
  constructor(private readonly fn: (text: string) => void) {}
  write(text: string): void {
    if (text !== "") this.fn(text);
  }
  close(): void {}
}

/**
 * "Script kiddie" text, as nmap's -oS writes it: each letter, with even odds, is swapped for a
 * look-alike (A→4, e/E→3, i/I→one of !|1, o/O→0, s/S→$, or z before a non-alphanumeric,
 * z/Z→s/S); otherwise a letter changes case one time in three.
 */
export function skidText(text: string, random: () => number = Math.random): string {
  const alnum = /[A-Za-z0-9]/;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (random() < 0.5) {
      switch (c) {
        case "A":
          out += "4";
          continue;
        case "e":
        case "E":
          out += "3";
          continue;
        case "i":
        case "I":
          out += "!|1"[Math.floor(random() * 3)];
          continue;
        case "o":
        case "O":
          out += "0";
          continue;
        case "s":
        case "S": {
          const next = text[i + 1];
          out += next !== undefined && !alnum.test(next) ? "z" : "$";
          continue;
        }
        case "z":
          out += "s";
          continue;
        case "Z":
          out += "S";
          continue;
      }
      out += c;
    } else if (/[A-Z]/.test(c) && random() < 1 / 3) out += c.toLowerCase();
    else if (/[a-z]/.test(c) && random() < 1 / 3) out += c.toUpperCase();
    else out += c;
  }
  return out;
}

/** A sink that writes {@link skidText} of everything to another. */
export class SkidSink implements Sink {
  constructor(private readonly inner: Sink, private readonly random: () => number = Math.random) {}
  write(text: string): void {
    this.inner.write(skidText(text, this.random));
  }
  close(): void {
    this.inner.close();
  }
}
