/**
 * Subjects (nats-io/jwt types.go): validity, wildcards, containment and renaming.
 * @module
 */
import { quote, Report } from './read.js'
import { INT64_MAX, INT64_MIN } from './shapes.js'

export function subjectProblems(s: string): string[] {
  if (s === '') return ['subject cannot be empty']
  const problems: string[] = []
  if (s.includes(' ')) problems.push(`subject ${quote(s)} cannot have spaces`)
  // jwt v2.5.4+
  if (s.startsWith('.') || s.endsWith('.')) {
    problems.push(`subject ${quote(s)} cannot start or end with a \`.\``)
  }
  if (s.includes('..')) problems.push(`subject ${quote(s)} cannot contain consecutive \`.\``)
  return problems
}

export function checkSubject(s: string, report: Report): void {
  for (const problem of subjectProblems(s)) report.error(problem)
}

export function hasWildcards(s: string): boolean {
  return (
    s.endsWith('.>') ||
    s.includes('.*.') ||
    s.endsWith('.*') ||
    s.startsWith('*.') ||
    s === '*' ||
    s === '>'
  )
}

function countWildcards(s: string): number {
  return s.split('.').filter((token) => token === '*').length
}

export function isContainedIn(s: string, other: string): boolean {
  const outer = other.split('.')
  const inner = s.split('.')
  if (inner.length > outer.length && outer[outer.length - 1] !== '>') return false
  if (inner.length < outer.length) return false
  for (let i = 0; i < outer.length; i++) {
    if (i === outer.length - 1 && outer[i] === '>') return true
    if (outer[i] !== inner[i] && outer[i] !== '*') return false
  }
  return true
}

/** n of a `$n` token, read like Go's `strconv.Atoi` (sign allowed, int64 range), else null. */
function referenceIndex(token: string): bigint | null {
  if (!/^\$[+-]?[0-9]+$/.test(token)) return null
  const n = BigInt(token.slice(1))
  return n >= INT64_MIN && n <= INT64_MAX ? n : null
}

/** `RenamingSubject.ToSubject`: `$n` references become `*`. */
export function renamedSubject(local: string): string {
  if (!local.includes('$')) return local
  return local
    .split('.')
    .map((token) => (referenceIndex(token) === null ? token : '*'))
    .join('.')
}

function endsInFullWildcard(s: string): boolean {
  return s === '>' || s.endsWith('.>')
}

/** `RenamingSubject.Validate`; Go reports a space twice, so this does too. */
export function checkRenaming(local: string, from: string, report: Report): void {
  checkSubject(local, report)
  if (from === '') report.error('subject cannot be empty')
  if (local.includes(' ')) report.error(`subject ${quote(local)} cannot have spaces`)
  if (endsInFullWildcard(local) !== endsInFullWildcard(from)) {
    report.error('both, renaming subject and subject, need to end or not end in >')
  }
  const wildcards = countWildcards(from)
  let references = 0
  for (const token of local.split('.')) {
    if (token === '*') references++
    const index = referenceIndex(token)
    if (index === null) continue
    if (index > BigInt(wildcards)) {
      report.error(
        `Reference $${index} in ${quote(local)} reference * in ${quote(from)} that do not exist`,
      )
    } else references++
  }
  if (references !== wildcards) {
    report.error('subject does not contain enough * or reference wildcards $[0-9]')
  }
}
