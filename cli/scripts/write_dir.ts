/**
 * The one directory NSE scripts may write under (--script-write-dir): paths are resolved here,
 * symlinks and ".." included, and a path whose real location is not under the directory is
 * refused. Files are opened with the resolved path, so the check and the write see one file.
 *
 * @module
 */

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

/** Where a path really is under the write directory, or why it may not be used (an errno). */
export type Placement = { real: string } | { errno: number };

/**
 * Where `path` really is, when that is under the real `dir` (or is it). The path is not
 * normalised as text: the file system resolves its symlinks and ".." as open(2) would. A path
 * that does not exist yet is placed by its parent's real location; one whose parent is missing
 * too is ENOENT when its nearest existing ancestor is under `dir`, else EACCES.
 */
export function placeUnder(dir: string, path: string): Placement {
  let root: string;
  try {
    root = Deno.realPathSync(dir);
  } catch {
    return { errno: EACCES };
  }
  const inside = (real: string) =>
    real === root || real.startsWith(root === "/" ? "/" : `${root}/`);
  const placed = (real: string): Placement => inside(real) ? { real } : { errno: EACCES };
  let full = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  full = full.replace(/(?<=.)\/+$/, "");
  try {
    return placed(Deno.realPathSync(full));
  } catch { /* not there (yet) */ }
  try {
    // A dangling symlink would be created at its target: refuse it rather than follow it.
    Deno.lstatSync(full);
    return { errno: EACCES };
  } catch { /* a new name: place it by its directory */ }
  try {
    return placed(`${Deno.realPathSync(dirname(full))}/${basename(full)}`);
  } catch { /* its directory is missing too */ }
  for (let up = dirname(dirname(full));; up = dirname(up)) {
    try {
      return { errno: inside(Deno.realPathSync(up)) ? ENOENT : EACCES };
    } catch {
      if (up === "/") return { errno: EACCES };
    }
  }
}

/** An absolute path's directory ("/" for "/x" and "/"); node:path would load at every start. */
function dirname(path: string): string {
  const at = path.lastIndexOf("/");
  return at <= 0 ? "/" : path.slice(0, at);
}

/** An absolute path's last name. */
function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** `placeUnder`'s real path, or undefined. */
export function resolveUnder(dir: string, path: string): string | undefined {
  const p = placeUnder(dir, path);
  return "real" in p ? p.real : undefined;
}

/** Why an errno, as strerror says it. */
function strerror(errno: number): string {
  return errno === ENOENT ? "No such file or directory" : "Permission denied";
}

/** A failed call of the file system, as (errno, strerror) — what C's calls report. */
function failure(e: unknown): FileRefusal {
  if (e instanceof Deno.errors.NotFound) return { err: strerror(ENOENT), errno: ENOENT };
  if (e instanceof Deno.errors.AlreadyExists) return { err: "File exists", errno: 17 };
  if (e instanceof Deno.errors.NotADirectory) return { err: "Not a directory", errno: 20 };
  if (e instanceof Deno.errors.IsADirectory) return { err: "Is a directory", errno: 21 };
  const code = (e as { code?: string }).code;
  if (code === "ENOTEMPTY") return { err: "Directory not empty", errno: 39 };
  return { err: strerror(EACCES), errno: EACCES };
}

/**
 * The files and folders scripts make, all under the write directory: io.open's writing modes
 * (files by handle) and nmap's lfs module (nse_fs.cc: mkdir, rmdir, link, dir).
 */
export class ScriptWriteDir {
  #dir?: string;
  #readDirs: string[];
  #files = new Map<number, Deno.FsFile>();
  #next = 1;

  /**
   * `dir`: --script-write-dir, undefined refusing every write; `readDirs`: the data
   * directories, which lfs.dir may list too.
   */
  constructor(dir?: string, readDirs: string[] = []) {
    this.#dir = dir;
    this.#readDirs = readDirs;
  }

  /** Where `path` is under the write directory, or the refusal (strerror's words, explained). */
  #place(path: string): { real: string } | FileRefusal {
    if (this.#dir === undefined) {
      return {
        err: "Permission denied (scripts write only under --script-write-dir)",
        errno: EACCES,
      };
    }
    const p = placeUnder(this.#dir, path);
    if ("real" in p) return p;
    const why = strerror(p.errno);
    return {
      err: p.errno === EACCES ? `${why} (outside --script-write-dir ${this.#dir})` : why,
      errno: p.errno,
    };
  }

  /** The real path of a readable file under the write directory, if `path` is one. */
  readable(path: string): string | undefined {
    return this.#dir === undefined ? undefined : resolveUnder(this.#dir, path);
  }

  /** io.open for a writing mode: a handle, or the refusal Lua's io.open returns. */
  open(path: string, mode: string): number | FileRefusal {
    const how = openOptions(mode);
    if (!how) return { err: `bad argument #2 to 'open' (invalid mode)`, errno: 22 };
    const p = this.#place(path);
    if (!("real" in p)) return { err: `${path}: ${p.err}`, errno: p.errno };
    try {
      const f = Deno.openSync(p.real, how);
      const id = this.#next++;
      this.#files.set(id, f);
      return id;
    } catch (e) {
      const r = failure(e);
      return { err: `${path}: ${r.err}`, errno: r.errno };
    }
  }

  /** lfs.mkdir: true, or (strerror, errno). */
  mkdir(path: string): true | FileRefusal {
    const p = this.#place(path);
    if (!("real" in p)) return p;
    try {
      Deno.mkdirSync(p.real, { mode: 0o775 });
      return true;
    } catch (e) {
      return failure(e);
    }
  }

  /** lfs.rmdir: true, or (strerror, errno); never the write directory itself. */
  rmdir(path: string): true | FileRefusal {
    const p = this.#place(path);
    if (!("real" in p)) return p;
    if (p.real === Deno.realPathSync(this.#dir!)) return { err: strerror(EACCES), errno: EACCES };
    try {
      if (!Deno.statSync(p.real).isDirectory) return { err: "Not a directory", errno: 20 };
      Deno.removeSync(p.real);
      return true;
    } catch (e) {
      return failure(e);
    }
  }

  /**
   * lfs.link: the new name under the write directory; a hard link's target too (writing
   * through it would write the target). A symlink's target is only text: opening through it
   * is placed again.
   */
  link(target: string, name: string, symbolic: boolean): true | FileRefusal {
    const at = this.#place(name);
    if (!("real" in at)) return at;
    try {
      if (symbolic) Deno.symlinkSync(target, at.real);
      else {
        const from = this.#place(target);
        if (!("real" in from)) return from;
        Deno.linkSync(from.real, at.real);
      }
      return true;
    } catch (e) {
      return failure(e);
    }
  }

  /**
   * lfs.dir: the names in a directory under the write directory or a data directory, "." and
   * ".." first as readdir gives them.
   */
  list(path: string): string[] | FileRefusal {
    let real = this.readable(path);
    if (real === undefined && !path.split("/").includes("..")) {
      const data = this.#readDirs.find((d) => `${path}/`.startsWith(`${d.replace(/\/$/, "")}/`));
      if (data !== undefined) real = path;
    }
    if (real === undefined) return { err: strerror(EACCES), errno: EACCES };
    try {
      return [".", "..", ...Array.from(Deno.readDirSync(real), (e) => e.name)];
    } catch (e) {
      return failure(e);
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
