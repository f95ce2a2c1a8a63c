/**
 * The dependency rule of docs/architecture.md, checked on the source: relative imports only
 * (type imports included), folders as the unit. A failure names the offending file and import.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src')
const MAX_LINES = 450

/** Lower layers, and what they must never import. */
const FORBIDDEN: Record<string, readonly string[]> = {
  errors: ['http', 'ui', 'nats', 'fleet', 'cluster', 'accounts', 'config', 'cli', 'transfer', 'jwt', 'store', 'checks'],
  jwt: ['http', 'ui', 'nats', 'fleet', 'cluster', 'accounts', 'config', 'cli', 'transfer', 'store', 'checks'],
  store: ['http', 'ui', 'nats', 'fleet', 'cluster', 'accounts', 'config', 'cli', 'transfer', 'checks'],
  checks: ['http', 'ui', 'nats', 'fleet', 'cluster', 'accounts', 'config', 'cli', 'transfer', 'log', 'metrics'],
  accounts: ['http', 'ui', 'nats', 'fleet', 'cluster', 'config', 'cli', 'transfer'],
  nats: ['http', 'ui', 'fleet', 'cluster', 'cli', 'transfer', 'app', 'server'],
}

type Source = { file: string; text: string }

function sources(dir = SRC): Source[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return /\.tsx?$/.test(entry.name) ? [{ file: relative(SRC, path), text: readFileSync(path, 'utf8') }] : []
  })
}

/** `http/fast-path.ts` → `http`; `errors.ts` → `errors`. */
function folderOf(file: string): string {
  const [first] = file.split('/')
  return first!.replace(/\.tsx?$/, '')
}

function importsOf({ file, text }: Source): string[] {
  const found: string[] = []
  for (const match of text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    found.push(relative(SRC, resolve(SRC, dirname(file), match[1]!)).replace(/\.js$/, '.ts'))
  }
  return found
}

const all = sources()
const edges = all.flatMap((source) => importsOf(source).map((target) => ({ from: source.file, to: target })))

describe('architecture', () => {
  it('has no source file over 450 lines', () => {
    const long = all.filter((s) => s.text.split('\n').length > MAX_LINES).map((s) => s.file)
    expect(long).toEqual([])
  })

  it('keeps the lower layers free of imports from the layers above them', () => {
    const wrong = edges
      .filter(({ from, to }) => FORBIDDEN[folderOf(from)]?.includes(folderOf(to)))
      .map(({ from, to }) => `${from} → ${to}`)
    expect(wrong).toEqual([])
  })

  it('has no cycle between folders', () => {
    const graph = new Map<string, Set<string>>()
    for (const { from, to } of edges) {
      const [a, b] = [folderOf(from), folderOf(to)]
      if (a !== b) graph.set(a, (graph.get(a) ?? new Set()).add(b))
    }
    const reaches = (start: string, goal: string, seen = new Set<string>()): boolean => {
      for (const next of graph.get(start) ?? []) {
        if (next === goal) return true
        if (!seen.has(next) && (seen.add(next), reaches(next, goal, seen))) return true
      }
      return false
    }
    const cycles = [...graph.keys()].filter((folder) => reaches(folder, folder))
    expect(cycles).toEqual([])
  })
})
