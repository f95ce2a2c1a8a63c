import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { HELP_TEXT } from '../../src/http/help-text.js'

describe('HELP_TEXT', () => {
  it('is byte-identical to the Go server jwtAPIHelp constant', () => {
    const bytes = Buffer.from(HELP_TEXT, 'utf8')
    expect(bytes.length).toBe(3250)
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      '7897d012d127e8de0f915b5bb5a32d36077768f71c6f129e9fbfc6681e62a0d6',
    )
  })

  it('keeps the leading newline, the trailing spaces and Go typos', () => {
    const lines = HELP_TEXT.split('\n')
    expect(lines).toHaveLength(80)
    expect(lines[0]).toBe('')
    expect(lines.at(-1)).toBe('')
    const trailingSpace = lines.flatMap((line, i) => (line.endsWith(' ') ? [i + 1] : []))
    expect(trailingSpace).toEqual([4, 52, 53, 54])
    expect(HELP_TEXT).toContain('  * noticy - can be set to "true"')
  })
})
