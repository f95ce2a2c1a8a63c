import { describe, expect, it } from 'vitest'
import { ClockCache } from '../../src/accounts/cache.js'

describe('ClockCache (CLOCK eviction)', () => {
  it('keeps at most its capacity, evicting the oldest entry not read since it was stored', () => {
    const lru = new ClockCache<string, number>(3)
    lru.set('a', 1)
    lru.set('b', 2)
    lru.set('c', 3)
    expect(lru.get('a')).toBe(1)
    lru.set('d', 4)
    expect(lru.size).toBe(3)
    expect(lru.get('b')).toBeUndefined()
    expect([lru.get('a'), lru.get('c'), lru.get('d')]).toEqual([1, 3, 4])
  })

  it('evicts the oldest when every entry was read, and replaces values in place', () => {
    const lru = new ClockCache<string, number>(2)
    lru.set('a', 1)
    lru.set('b', 2)
    lru.get('a')
    lru.get('b')
    lru.set('c', 3)
    expect(lru.size).toBe(2)
    expect(lru.get('a')).toBeUndefined()
    lru.set('c', 30)
    expect(lru.get('c')).toBe(30)
    lru.delete('c')
    expect(lru.get('c')).toBeUndefined()
    lru.clear()
    expect(lru.size).toBe(0)
  })
})
