/**
 * `Info` (nats-io/jwt types.go): description length and the info URL, parsed as Go's net/url does.
 * @module
 */
import type { JsonObject as Json } from '../json.js'
import { quote, Report, str } from './read.js'

const MAX_INFO_LENGTH = 8 * 1024
const HOST_CHAR = /[A-Za-z0-9!$&'()*+,;=:[\]<>"\-_.~]/
const USERINFO = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/

function escapeProblem(s: string, host: boolean): string | null {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!
    if (ch === '%') {
      const seq = s.slice(i, i + 3)
      // in a host only %25 and escapes of non-ASCII bytes are allowed
      if (!/^%[0-9A-Fa-f]{2}$/.test(seq) || (host && seq !== '%25' && parseInt(seq[1]!, 16) < 8)) {
        return `invalid URL escape ${quote(seq)}`
      }
      i += 2
    } else if (host && ch.charCodeAt(0) < 0x80 && !HOST_CHAR.test(ch)) {
      return `invalid character ${quote(ch)} in host name`
    }
  }
  return null
}

function validOptionalPort(port: string): boolean {
  return /^(:[0-9]*)?$/.test(port)
}

/** Go's `parseAuthority`: the host name, or `{ error }`. */
function parseAuthority(authority: string): string | { error: string } {
  const at = authority.lastIndexOf('@')
  const host = authority.slice(at + 1)
  let port: string
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']')
    if (close < 0) return { error: "missing ']' in host" }
    port = host.slice(close + 1)
  } else {
    const colon = host.lastIndexOf(':')
    port = colon < 0 ? '' : host.slice(colon)
  }
  if (!validOptionalPort(port)) return { error: `invalid port ${quote(port)} after host` }
  const hostProblem = escapeProblem(host, true)
  if (hostProblem !== null) return { error: hostProblem }
  if (at >= 0) {
    const userinfo = authority.slice(0, at)
    if (!USERINFO.test(userinfo)) return { error: 'net/url: invalid userinfo' }
    const userProblem = escapeProblem(userinfo, false)
    if (userProblem !== null) return { error: userProblem }
  }
  // `URL.Hostname()`: without the port and the IPv6 brackets
  const colon = host.lastIndexOf(':')
  const name = colon >= 0 && validOptionalPort(host.slice(colon)) ? host.slice(0, colon) : host
  return name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name
}

/** Why Go's `Info.Validate` rejects `raw` as an info URL, or null. */
function infoUrlProblem(raw: string): string | null {
  const hash = raw.indexOf('#')
  const url = hash < 0 ? raw : raw.slice(0, hash)
  const failed = (problem: string, input = url): string => `parse ${quote(input)}: ${problem}`
  if (/[\x00-\x1f\x7f]/.test(url)) return failed('net/url: invalid control character in URL')
  if (url.startsWith(':')) return failed('missing protocol scheme')
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*(?=:)/.exec(url)?.[0] ?? ''
  let rest = (scheme === '' ? url : url.slice(scheme.length + 1)).split('?')[0]!
  let hostname = ''
  if (!rest.startsWith('/') && scheme === '' && rest.split('/')[0]!.includes(':')) {
    return failed('first path segment in URL cannot contain colon')
  }
  // a scheme followed by something other than `/` is an opaque URL: no host
  if (rest.startsWith('/') || scheme === '') {
    if (rest.startsWith('//') && (scheme !== '' || !rest.startsWith('///'))) {
      const slash = rest.indexOf('/', 2)
      const authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash)
      rest = slash < 0 ? '' : rest.slice(slash)
      const parsed = parseAuthority(authority)
      if (typeof parsed !== 'string') return failed(parsed.error)
      hostname = parsed
    }
    const pathProblem = escapeProblem(rest, false)
    if (pathProblem !== null) return failed(pathProblem)
  }
  const fragmentProblem = hash < 0 ? null : escapeProblem(raw.slice(hash + 1), false)
  if (fragmentProblem !== null) return failed(fragmentProblem, raw)
  return scheme === '' || hostname === '' ? 'no hostname or scheme' : null
}

export function checkInfo(o: Json, report: Report): void {
  // Go measures bytes
  if (Buffer.byteLength(str(o, 'description')) > MAX_INFO_LENGTH) {
    report.error('Description is too long')
  }
  const url = str(o, 'info_url')
  if (url === '') return
  if (Buffer.byteLength(url) > MAX_INFO_LENGTH) report.error('Info URL is too long')
  const problem = infoUrlProblem(url)
  if (problem !== null) report.error(`error parsing info url: ${problem}`)
}
