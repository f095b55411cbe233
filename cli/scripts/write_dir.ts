/**
 * The one directory NSE scripts may write under (--script-write-dir): paths are resolved here,
 * symlinks and ".." included, and a path whose real location is not under the directory is
 * refused. Files are opened with the resolved path, so the check and the write see one file.
 *
 * @module
 */

import { basename, dirname, resolve } from "node:path";

/** Lua's io.open refusal: (nil, message, errno), returned to the script. */
export interface FileRefusal {
  err: string;
  errno: number;
}

const EACCES = 13;
const ENOENT = 2;

/** Lua's modes: "r", "w", "a", each with an optional "+" and "b" (lauxlib's l_checkmode). */
const MODE = /^([rwa])(\+?)b?$/;

/** Whether a Lua io.open mode writes (everything but plain "r"). */
export function writesFile(mode: string): boolean {
  const m = MODE.exec(mode);
  return !m || m[1] !== "r" || m[2] === "+";
}

/** Deno's open options for a Lua mode, as C's fopen reads it. */
function openOptions(mode: string): Deno.OpenOptions | undefined {
  const m = MODE.exec(mode);
  if (!m) return undefined;
  const plus = m[2] === "+";
  if (m[1] === "r") return { read: true, write: plus };
  if (m[1] === "w") return { read: plus, write: true, create: true, truncate: true };
  return { read: plus, append: true, create: true };
}

/**
 * Where `path` really is, when that is under the real `dir` (or is it); undefined otherwise.
 * A path that does not exist yet is placed by its parent directory's real location.
 */
export function resolveUnder(dir: string, path: string): string | undefined {
  let root: string;
  try {
    root = Deno.realPathSync(dir);
  } catch {
    return undefined;
  }
  const full = resolve(Deno.cwd(), path);
  let real: string;
  try {
    real = Deno.realPathSync(full);
  } catch {
    try {
      // A dangling symlink would be created at its target: refuse it rather than follow it.
      Deno.lstatSync(full);
      return undefined;
    } catch { /* a new file: place it by its directory */ }
    try {
      real = `${Deno.realPathSync(dirname(full))}/${basename(full)}`;
    } catch {
      return undefined;
    }
  }
  return real === root || real.startsWith(root === "/" ? "/" : `${root}/`) ? real : undefined;
}

/** The files scripts opened for writing, by handle, all under the write directory. */
export class ScriptWriteDir {
  #dir?: string;
  #files = new Map<number, Deno.FsFile>();
  #next = 1;

  /** `dir`: --script-write-dir; undefined refuses every write. */
  constructor(dir?: string) {
    this.#dir = dir;
  }

  /** The real path of a readable file under the write directory, if `path` is one. */
  readable(path: string): string | undefined {
    return this.#dir === undefined ? undefined : resolveUnder(this.#dir, path);
  }

  /** io.open for a writing mode: a handle, or the refusal Lua's io.open returns. */
  open(path: string, mode: string): number | FileRefusal {
    const how = openOptions(mode);
    if (!how) return { err: `bad argument #2 to 'open' (invalid mode)`, errno: 22 };
    if (this.#dir === undefined) {
      return {
        err: `${path}: Permission denied (scripts write only under --script-write-dir)`,
        errno: EACCES,
      };
    }
    const real = resolveUnder(this.#dir, path);
    if (real === undefined) {
      return {
        err: `${path}: Permission denied (outside --script-write-dir ${this.#dir})`,
        errno: EACCES,
      };
    }
    try {
      const f = Deno.openSync(real, how);
      const id = this.#next++;
      this.#files.set(id, f);
      return id;
    } catch (e) {
      const notFound = e instanceof Deno.errors.NotFound;
      return {
        err: `${path}: ${notFound ? "No such file or directory" : (e as Error).message}`,
        errno: notFound ? ENOENT : EACCES,
      };
    }
  }

  #file(id: number): Deno.FsFile {
    const f = this.#files.get(id);
    if (!f) throw new Error("attempt to use a closed file");
    return f;
  }

  /** Writes all of `bytes` at the file's position. */
  write(id: number, bytes: Uint8Array): void {
    const f = this.#file(id);
    for (let off = 0; off < bytes.length;) off += f.writeSync(bytes.subarray(off));
  }

  /** Up to `n` bytes from the file's position (all the rest for Infinity); undefined at the end. */
  read(id: number, n: number): Uint8Array | undefined {
    const f = this.#file(id);
    const chunks: Uint8Array[] = [];
    let total = 0;
    while (total < n) {
      const buf = new Uint8Array(Math.min(n - total, 65536));
      const got = f.readSync(buf);
      if (got === null || got === 0) break;
      chunks.push(buf.subarray(0, got));
      total += got;
    }
    if (total === 0 && n > 0) return undefined;
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) out.set(c, (at += c.length) - c.length);
    return out;
  }

  /** file:seek(whence, offset): the new position from the start. */
  seek(id: number, whence: string, offset: number): number {
    const from = { set: Deno.SeekMode.Start, cur: Deno.SeekMode.Current, end: Deno.SeekMode.End };
    const mode = from[whence as keyof typeof from];
    if (mode === undefined) {
      throw new Error(`bad argument #1 to 'seek' (invalid option '${whence}')`);
    }
    return this.#file(id).seekSync(offset, mode);
  }

  /** file:flush(): the bytes reach the file system (writes are unbuffered here). */
  flush(id: number): void {
    this.#file(id);
  }

  close(id: number): void {
    this.#file(id).close();
    this.#files.delete(id);
  }

  /** Closes what scripts left open (the engine is closing). */
  closeAll(): void {
    for (const f of this.#files.values()) f.close();
    this.#files.clear();
  }
}
