#!/usr/bin/env node
// `npm start`: builds dist/ when it is missing or older than src/, then runs the CLI in this
// process (so signals reach it directly). Arguments after `npm start --` go to the server.
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const entry = join(root, 'dist', 'cli.js')

function newestSource(dir) {
  let newest = 0
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, item.name)
    newest = Math.max(newest, item.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

let built = 0
try {
  built = statSync(entry).mtimeMs
} catch {
  // not built yet
}
const sources = Math.max(newestSource(join(root, 'src')), statSync(join(root, 'package.json')).mtimeMs)
if (built < sources) {
  process.stderr.write('building nats-accounts (tsc)...\n')
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  })
}
await import(pathToFileURL(entry).href)
