import { describe, expect, it } from 'vitest'
import { base64urlBytes, claimVersion, isRecord, segmentJson } from '../../src/jwt/json.js'

const segment = (text: string) => Buffer.from(text).toString('base64url')

describe('JWT JSON layer', () => {
  it('reads base64url as Go\'s RawURLEncoding: no padding, no other alphabet, no dangling bits', () => {
    expect(base64urlBytes(segment('{"a":1}'))?.toString()).toBe('{"a":1}')
    expect(base64urlBytes('eyJhIjoxfQ==')).toBeNull()
    expect(base64urlBytes('ab+/')).toBeNull()
    expect(base64urlBytes('abcde')).toBeNull()
  })

  it('gives the text and value of a segment, or the step that failed', () => {
    expect(segmentJson(segment('[1]'))).toEqual({ text: '[1]', value: [1] })
    expect(segmentJson('a=')).toEqual({ failed: 'base64url' })
    expect(segmentJson(segment('{nope'))).toEqual({ failed: 'json' })
  })

  it('tells objects from arrays and null', () => {
    expect(isRecord({})).toBe(true)
    expect(isRecord([])).toBe(false)
    expect(isRecord(null)).toBe(false)
  })

  it.each([
    [{ type: 'account', nats: { version: 2 } }, 1],
    [{ nats: { version: 2 } }, 2],
    [{ nats: { version: '3' } }, '3'],
    [{ nats: {} }, 0],
    [{ type: '' }, 0],
  ])('reads the claim version of %j as Go\'s loadClaims: %j', (claims, version) => {
    expect(claimVersion(claims)).toBe(version)
  })
})
