/** The README's flags table and the --help text name exactly the flags the parser accepts. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { OPTIONS, USAGE } from '../../src/cli/args.js'

const accepted = Object.keys(OPTIONS).sort()

/** `-x`, `--x-y` written at the start of a cell or after a comma, as both documents list them. */
function flagsIn(text: string): string[] {
  return [...text.matchAll(/(?:^|[\s`,(])--?([A-Za-z][\w-]*)/g)].map((m) => m[1]!)
}

function readmeTableFlags(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('\n## Flags\n'), readme.indexOf('\n## ', readme.indexOf('\n## Flags\n') + 1))
  const firstCells = section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split(/(?<!\\)\|/)[1]!)
  return [...new Set(firstCells.flatMap(flagsIn))].sort()
}

function usageFlags(): string[] {
  // Option lines start with the flag; the text after two spaces describes it.
  const heads = USAGE.split('\n')
    .filter((line) => /^ {2}-/.test(line))
    .map((line) => line.trim().split(/ {2,}/)[0]!)
  return [...new Set(heads.flatMap(flagsIn))].sort()
}

describe('flag documentation', () => {
  it('the README flags table lists every accepted flag, and only those', () => {
    expect(readmeTableFlags(), 'README.md "## Flags" table vs OPTIONS in src/cli/args.ts').toEqual(accepted)
  })

  it('the --help text lists every accepted flag, and only those', () => {
    expect(usageFlags(), 'USAGE vs OPTIONS in src/cli/args.ts').toEqual(accepted)
  })
})
