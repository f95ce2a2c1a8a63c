/**
 * What changed between two versions of an account: both claim sets printed the same way (keys
 * sorted, two-space indent), then a line diff (Myers' O(ND) algorithm), with unchanged runs
 * folded to a few lines of context.
 * @module
 */

export type DiffLine = { kind: 'same' | 'added' | 'removed'; text: string }
/** Unchanged lines left out between two hunks. */
export type DiffGap = { kind: 'gap'; lines: number }

/** JSON with object keys sorted at every level, so equal claims print equal lines. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2)
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (typeof value !== 'object' || value === null) return value
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]))
}

/** The edit script from `before` to `after`, line by line. */
export function diffLines(before: readonly string[], after: readonly string[]): DiffLine[] {
  const n = before.length
  const m = after.length
  const max = n + m
  const offset = max + 1
  const furthest = new Int32Array(2 * max + 3)
  const trace: Int32Array[] = []
  let found = max === 0
  for (let d = 0; d <= max && !found; d++) {
    trace.push(furthest.slice())
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && furthest[offset + k - 1]! < furthest[offset + k + 1]!)
      let x = down ? furthest[offset + k + 1]! : furthest[offset + k - 1]! + 1
      let y = x - k
      while (x < n && y < m && before[x] === after[y]) {
        x++
        y++
      }
      furthest[offset + k] = x
      if (x >= n && y >= m) {
        found = true
        break
      }
    }
  }
  const script: DiffLine[] = []
  let x = n
  let y = m
  for (let d = trace.length - 1; d >= 0; d--) {
    const row = trace[d]!
    const k = x - y
    const down = k === -d || (k !== d && row[offset + k - 1]! < row[offset + k + 1]!)
    const prevK = down ? k + 1 : k - 1
    const prevX = row[offset + prevK]!
    const prevY = prevX - prevK
    while (x > prevX && y > prevY) {
      x--
      y--
      script.push({ kind: 'same', text: before[x]! })
    }
    if (d > 0) script.push(down ? { kind: 'added', text: after[prevY]! } : { kind: 'removed', text: before[prevX]! })
    x = prevX
    y = prevY
  }
  return script.reverse()
}

/** The script with unchanged runs far from any change folded into gaps (a gap hides at least two lines). */
export function fold(script: readonly DiffLine[], context = 3): (DiffLine | DiffGap)[] {
  const near = new Uint8Array(script.length)
  script.forEach((line, i) => {
    if (line.kind === 'same') return
    for (let j = Math.max(0, i - context); j <= Math.min(script.length - 1, i + context); j++) near[j] = 1
  })
  const out: (DiffLine | DiffGap)[] = []
  for (let i = 0; i < script.length; ) {
    let end = i
    while (end < script.length && !near[end]) end++
    if (end - i >= 2) out.push({ kind: 'gap', lines: end - i })
    else if (end > i) out.push(script[i]!)
    if (end < script.length) out.push(script[end]!)
    i = end + 1
  }
  return out
}
