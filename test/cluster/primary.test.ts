import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { workerExecArgv } from '../../src/cluster/primary.js'
import { NODE_FLAGS } from '../../src/node-flags.js'

describe('workerExecArgv', () => {
  it('adds the memory settings to the node flags workers inherit', () => {
    expect(workerExecArgv(['--enable-source-maps'], '')).toEqual(['--enable-source-maps', '--max-semi-space-size=2', '--heap-growing-percent=20'])
  })

  it('keeps a value the user gave on the command line or in NODE_OPTIONS', () => {
    expect(workerExecArgv(['--max-semi-space-size=8'], '')).toEqual(['--max-semi-space-size=8', '--heap-growing-percent=20'])
    expect(workerExecArgv(['--heap-growing-percent=50'], '--max-semi-space-size=16')).toEqual(['--heap-growing-percent=50'])
  })
})

describe('NODE_FLAGS', () => {
  it('are the flags of npm start and of the Docker image', () => {
    const start = JSON.parse(readFileSync('package.json', 'utf8')).scripts.start as string
    expect(start).toBe(`node ${NODE_FLAGS.join(' ')} scripts/start.mjs`)
    const entrypoint = /^ENTRYPOINT (.*)$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1]
    expect(JSON.parse(entrypoint!)).toEqual(['node', ...NODE_FLAGS, '/app/dist/cli.js'])
  })

  it('are all known to this node', () => {
    expect(execFileSync(process.execPath, [...NODE_FLAGS, '-e', 'console.log("ok")'], { encoding: 'utf8' })).toBe('ok\n')
  })
})
