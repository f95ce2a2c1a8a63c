/**
 * Where imports read account JWTs from: a directory tree (a directory store, flat or sharded, a
 * nats-server resolver directory, an nsc store) or a pack (`/jwt/v1/pack` output, as a file or
 * fetched from a URL).
 * @module
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'

/** One candidate JWT, or something found and skipped, with where it came from. */
export type SourceItem =
  | { origin: string; jwt: string; /** The key it is filed under, when the source names one. */ key?: string }
  | { origin: string; skipped: string }

const KEY_FILE = /^(A[A-Z2-7]{55})\.jwt$/

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location)
}

/**
 * The pack URL of an account server: `<base>/jwt/v1/pack` (as the Go server's replicas built
 * it), `<…/jwt/v1>/pack`, or the URL itself when it already ends in `/pack`. `max=-1` asks for
 * everything unless the URL sets `max`.
 */
export function packUrl(location: string, max = -1): URL {
  const url = new URL(location)
  const path = url.pathname.replace(/\/+$/, '')
  if (path.endsWith('/jwt/v1')) url.pathname = `${path}/pack`
  else if (!path.endsWith('/pack')) url.pathname = `${path}/jwt/v1/pack`
  if (!url.searchParams.has('max')) url.searchParams.set('max', String(max))
  return url
}

/** Fetches a pack; rejects on network errors, timeouts and any status but 200. */
export async function fetchPack(url: URL, timeoutMs: number): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  if (res.status !== 200) {
    throw new Error(`${url.origin}${url.pathname} answered ${res.status} ${(await res.text()).trim()}`)
  }
  return res.text()
}

/** Pack lines: `<pubkey>|<jwt>`; blank lines are ignored, malformed ones reported. */
export function* packItems(pack: string, origin: string): Generator<SourceItem> {
  const lines = pack.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '') continue
    const parts = line.split('|')
    const at = `${origin}:${i + 1}`
    if (parts.length !== 2) yield { origin: at, skipped: 'line is not <pubkey>|<jwt>' }
    else yield { origin: at, key: parts[0]!, jwt: parts[1]! }
  }
}

/**
 * Every `*.jwt` file below `dir`, in path order. Files named `<account key>.jwt` are filed under
 * that key; others (nsc names files after the account) are identified by their subject.
 * nats-server's `.jwt.deleted` tombstones are reported, never imported.
 */
export async function* directoryItems(dir: string): AsyncGenerator<SourceItem> {
  const walk = async function* (folder: string): AsyncGenerator<string> {
    const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))
    for (const entry of entries) {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) yield* walk(path)
      else if (entry.isFile()) yield path
    }
  }
  for await (const path of walk(dir)) {
    const name = path.slice(path.lastIndexOf('/') + 1)
    const origin = relative(dir, path)
    if (name.endsWith('.jwt.deleted')) {
      yield { origin, skipped: 'deleted account (nats-server tombstone)' }
      continue
    }
    if (!name.endsWith('.jwt')) continue
    const jwt = (await readFile(path, 'utf8')).trim()
    yield { origin, jwt, key: KEY_FILE.exec(name)?.[1] }
  }
}

/** Reads a source location: URL → pack, directory → tree, `*.jwt` → one JWT, file → pack. */
export async function* readSource(location: string, timeoutMs: number): AsyncGenerator<SourceItem> {
  if (isUrl(location)) {
    const url = packUrl(location)
    yield* packItems(await fetchPack(url, timeoutMs), url.href)
  } else if ((await stat(location)).isDirectory()) {
    yield* directoryItems(location)
  } else if (location.endsWith('.jwt')) {
    yield { origin: location, jwt: (await readFile(location, 'utf8')).trim() }
  } else {
    yield* packItems(await readFile(location, 'utf8'), location)
  }
}
