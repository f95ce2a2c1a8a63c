import { describe, expect, it } from 'vitest'
import { createLogger } from '../../src/log/logger.js'

function capture(format: 'text' | 'json') {
  let output = ''
  const logger = createLogger({ level: 'trace', format, destination: { write: (line: string) => (output += line) } })
  return { logger, output: () => output }
}

describe('logger', () => {
  it('writes the level of a JSON line as a word', () => {
    const { logger, output } = capture('json')
    logger.trace('t')
    logger.debug('d')
    logger.info({ account: 'AX' }, 'i')
    logger.warn('w')
    logger.error('e')
    const lines = output().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines.map((line) => line.level)).toEqual(['trace', 'debug', 'info', 'warn', 'error'])
    expect(lines[2]).toMatchObject({ msg: 'i', account: 'AX' })
  })

  it('writes Go-style labels in the text format', () => {
    const { logger, output } = capture('text')
    logger.trace('t')
    logger.info({ account: 'AX' }, 'i')
    logger.error('e')
    expect(output()).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} \[TRC\] t\n.* \[INF\] i account=AX\n.* \[ERR\] e\n$/)
  })
})
