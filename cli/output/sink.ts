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
