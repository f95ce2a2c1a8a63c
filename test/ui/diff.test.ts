import { describe, expect, it } from 'vitest'
import { canonicalJson, diffLines, fold } from '../../src/ui/diff.js'

function apply(script: ReturnType<typeof diffLines>) {
  return {
    before: script.filter((l) => l.kind !== 'added').map((l) => l.text),
    after: script.filter((l) => l.kind !== 'removed').map((l) => l.text),
  }
}

/** Length of the longest common subsequence, by the textbook table. */
function longestCommon(a: string[], b: string[]): number {
  const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      table[i]![j] = a[i - 1] === b[j - 1] ? table[i - 1]![j - 1]! + 1 : Math.max(table[i - 1]![j]!, table[i]![j - 1]!)
    }
  }
  return table[a.length]![b.length]!
}

describe('diffLines', () => {
  it('keeps both sides and marks only what changed', () => {
    const before = ['{', '  "a": 1,', '  "b": 2,', '  "c": 3', '}']
    const after = ['{', '  "a": 1,', '  "b": 5,', '  "c": 3,', '  "d": 4', '}']
    const script = diffLines(before, after)
    expect(apply(script)).toEqual({ before, after })
    expect(script.filter((l) => l.kind === 'removed').map((l) => l.text)).toEqual(['  "b": 2,', '  "c": 3'])
    expect(script.filter((l) => l.kind === 'added').map((l) => l.text)).toEqual(['  "b": 5,', '  "c": 3,', '  "d": 4'])
  })

  it('handles empty sides and equal sides', () => {
    expect(diffLines([], [])).toEqual([])
    expect(diffLines([], ['x'])).toEqual([{ kind: 'added', text: 'x' }])
    expect(diffLines(['x'], [])).toEqual([{ kind: 'removed', text: 'x' }])
    expect(diffLines(['x', 'y'], ['x', 'y']).every((l) => l.kind === 'same')).toBe(true)
  })

  it('reproduces both sides of random edits with a minimal number of changes', () => {
    for (let round = 0; round < 200; round++) {
      const before = Array.from({ length: (round * 7) % 23 }, (_, i) => String((i * round) % 5))
      const after = before.filter((_, i) => (i + round) % 4 !== 0).concat(String(round % 3))
      const script = diffLines(before, after)
      expect(apply(script)).toEqual({ before, after })
      const changes = script.filter((l) => l.kind !== 'same').length
      expect(changes).toBe(before.length + after.length - 2 * longestCommon(before, after))
    }
  })
})

describe('canonicalJson and fold', () => {
  it('prints equal claims with keys in any order the same way', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 3 } })).toBe(canonicalJson({ a: { c: 3, d: [2, { e: 0, f: 1 }] }, b: 1 }))
  })

  it('folds unchanged runs away from the changes into gaps', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i}`)
    const after = before.map((l, i) => (i === 10 ? 'changed' : l))
    const folded = fold(diffLines(before, after), 2)
    expect(folded[0]).toEqual({ kind: 'gap', lines: 8 })
    expect(folded.at(-1)).toEqual({ kind: 'gap', lines: 7 })
    expect(folded.filter((l) => l.kind !== 'gap')).toHaveLength(6)
  })

  it('shows a single unchanged line between two hunks instead of a gap', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
    const after = ['A', 'b', 'c', 'd', 'e', 'f', 'G']
    expect(fold(diffLines(before, after), 2).some((l) => l.kind === 'gap')).toBe(false)
    expect(fold(diffLines([...before, 'h', 'i', 'j'], [...after, 'h', 'i', 'j']), 1).at(-1)).toEqual({ kind: 'gap', lines: 2 })
  })
})
