/**
 * A shared library's symbols, each bound on first use. Deno compiles a call trampoline for
 * every symbol Deno.dlopen binds (~0.2 ms each, more on a busy host), and a scan uses about
 * half of libc's and libpcap's before its first probe; binding them all at once put ~10 ms
 * before it.
 *
 * @module
 */

/**
 * `symbols` of the library at `path` (already loaded by the caller, so the name resolves to the
 * same file), as an object whose properties bind on first access and then stay plain values.
 * A missing symbol throws there, as Deno.dlopen would have at once; an `optional` one is null.
 */
export function lazySymbols<S extends Deno.ForeignLibraryInterface>(
  path: string,
  symbols: S,
): Deno.DynamicLibrary<S>["symbols"] {
  const lazy = {} as Deno.DynamicLibrary<S>["symbols"];
  for (const name of Object.keys(symbols) as (keyof S & string)[]) {
    Object.defineProperty(lazy, name, {
      configurable: true,
      enumerable: true,
      get() {
        const one = { [name]: symbols[name] } as Pick<S, typeof name>;
        const value = Deno.dlopen(path, one).symbols[name];
        Object.defineProperty(lazy, name, { value, enumerable: true });
        return value;
      },
    });
  }
  return lazy;
}
