import { describe } from 'vitest'
import { account, exports, longText, itReports, type Row } from './helpers.js'

const rows: Row[] = [
  // Exports
  { title: 'a null export', claims: exports(null), description: 'null export is not allowed' },
  {
    title: 'an export without type',
    claims: exports({ subject: 'a' }),
    description: 'invalid export type: "unknown"',
  },
  {
    title: 'a bad service response type',
    claims: exports({ subject: 'a', type: 'service', response_type: 'Many' }),
    description: 'invalid response type for service: "Many"',
  },
  {
    title: 'a response type on a stream',
    claims: exports({ subject: 'a', type: 'stream', response_type: 'Stream' }),
    description: 'invalid response type for stream: "Stream"',
  },
  {
    title: 'allow_trace on a stream export (v2.5.4)',
    claims: exports({ subject: 'a', type: 'stream', allow_trace: true }),
    description: 'AllowTrace only valid for service export',
  },
  {
    title: 'latency on a stream',
    claims: exports({ subject: 'a', type: 'stream', service_latency: { results: 'r' } }),
    description: 'latency tracking only permitted for services',
  },
  {
    title: 'a latency sampling over 100',
    claims: exports({ subject: 'a', type: 'service', service_latency: { sampling: 101 } }),
    description: 'sampling percentage needs to be between 1-100',
  },
  {
    title: 'a wildcard latency results subject',
    claims: exports({ subject: 'a', type: 'service', service_latency: { results: 'r.*' } }),
    description: 'results subject can not contain wildcards',
  },
  {
    title: 'a negative response threshold',
    claims: exports({ subject: 'a', type: 'service', response_threshold: -1 }),
    description: 'negative response threshold is invalid',
  },
  {
    title: 'a response threshold on a stream',
    claims: exports({ subject: 'a', type: 'stream', response_threshold: 5 }),
    description: 'response threshold only valid for services',
  },
  {
    title: 'an account token position without wildcard',
    claims: exports({ subject: 'a.b', type: 'service', account_token_position: 1 }),
    description: 'Account Token Position can only be used with wildcard subjects: a.b',
  },
  {
    title: 'an account token position past the end',
    claims: exports({ subject: 'a.*', type: 'service', account_token_position: 3 }),
    description: "Account Token Position 3 exceeds length of subject 'a.*'",
  },
  {
    title: 'an account token position on a literal token',
    claims: exports({ subject: 'a.*', type: 'service', account_token_position: 1 }),
    description: "Account Token Position 1 matches 'a' but must match a * in: a.*",
  },
  {
    title: 'overlapping exports of one kind',
    claims: exports({ subject: 'a.b', type: 'service' }, { subject: 'a.>', type: 'service' }),
    description: 'service export subject "a.>" already exports "a.b"',
  },
  {
    title: 'an export description over 8 KiB',
    claims: exports({ subject: 'a', type: 'stream', description: longText }),
    description: 'Description is too long',
  },
  {
    title: 'an info URL over 8 KiB',
    claims: account({ info_url: `http://h/${longText}` }),
    description: 'Info URL is too long',
  },
  {
    title: 'an info URL without scheme',
    claims: exports({ subject: 'a', type: 'stream', info_url: 'example.com/docs' }),
    description: 'error parsing info url: no hostname or scheme',
  },
  {
    title: 'an info URL without host',
    claims: account({ info_url: 'mailto:someone@example.com' }),
    description: 'error parsing info url: no hostname or scheme',
  },
  {
    title: 'an info URL with a bad port',
    claims: account({ info_url: 'http://host:port/' }),
    description:
      'error parsing info url: parse "http://host:port/": invalid port ":port" after host',
  },
  {
    title: 'an info URL with a space in the host',
    claims: account({ info_url: 'http://a b/' }),
    description: 'error parsing info url: parse "http://a b/": invalid character " " in host name',
  },
  {
    title: 'an info URL with a bad escape',
    claims: account({ info_url: 'http://h/%zz' }),
    description: 'error parsing info url: parse "http://h/%zz": invalid URL escape "%zz"',
  },
  {
    title: 'an info URL starting with a colon',
    claims: account({ info_url: '://h' }),
    description: 'error parsing info url: parse "://h": missing protocol scheme',
  },
]

describe('accountClaimIssues: exports', () => {
  itReports(rows)
})
