import { describe, expect, it } from 'vitest'
import { ClockCache } from '../../src/accounts/cache.js'

/** A cached value: the cache keeps the CLOCK bit on it. */
const v = (n: number) => ({ n, used: false })
const n = (value: { n: number } | undefined) => value?.n

describe('ClockCache (CLOCK eviction)', () => {
  it('keeps at most its capacity, evicting the oldest entry not read since it was stored', () => {
    const lru = new ClockCache<string, { n: number; used: boolean }>(3)
    lru.set('a', v(1))
    lru.set('b', v(2))
    lru.set('c', v(3))
    expect(n(lru.get('a'))).toBe(1)
    lru.set('d', v(4))
    expect(lru.size).toBe(3)
    expect(lru.get('b')).toBeUndefined()
    expect([n(lru.get('a')), n(lru.get('c')), n(lru.get('d'))]).toEqual([1, 3, 4])
  })

  it('evicts the oldest when every entry was read, and replaces values in place', () => {
    const lru = new ClockCache<string, { n: number; used: boolean }>(2)
    lru.set('a', v(1))
    lru.set('b', v(2))
    lru.get('a')
    lru.get('b')
    lru.set('c', v(3))
    expect(lru.size).toBe(2)
    expect(lru.get('a')).toBeUndefined()
    lru.set('c', v(30))
    expect(n(lru.get('c'))).toBe(30)
    lru.delete('c')
    expect(lru.get('c')).toBeUndefined()
    lru.clear()
    expect(lru.size).toBe(0)
  })
})
