import { describe, expect, it } from 'vitest'
import { workerExecArgv } from '../../src/cluster/primary.js'

describe('workerExecArgv', () => {
  it('adds a small young generation to the node flags workers inherit', () => {
    expect(workerExecArgv(['--enable-source-maps'], '')).toEqual(['--enable-source-maps', '--max-semi-space-size=2'])
  })

  it('keeps a value the user gave on the command line or in NODE_OPTIONS', () => {
    expect(workerExecArgv(['--max-semi-space-size=8'], '')).toEqual(['--max-semi-space-size=8'])
    expect(workerExecArgv([], '--max-semi-space-size=16')).toEqual([])
  })
})
