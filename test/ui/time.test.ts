import { describe, expect, it } from 'vitest'
import { relative, utc } from '../../src/ui/time.js'

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0)
const DAY = 86_400_000

describe('console times', () => {
  it('writes UTC to the second', () => {
    expect(utc(NOW)).toBe('2026-12-02 12:00:00 UTC')
  })

  it('says how far a time is from now in the largest unit it reaches, rounded', () => {
    expect(relative(NOW + 3 * DAY - 15_000, NOW)).toBe('in 3 days')
    expect(relative(NOW - 10 * DAY, NOW)).toBe('10 days ago')
    expect(relative(NOW - 100_000, NOW)).toBe('2 minutes ago')
    expect(relative(NOW + 45_000, NOW)).toBe('in 45 seconds')
    expect(relative(NOW + DAY, NOW)).toBe('tomorrow')
    expect(relative(NOW + 400 * DAY, NOW)).toBe('next year')
    expect(relative(NOW + 200, NOW)).toBe('now')
  })
})
