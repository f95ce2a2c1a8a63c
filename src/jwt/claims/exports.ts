/**
 * Exports (nats-io/jwt exports.go).
 * @module
 */
import { isRecord, type JsonObject as Json } from '../json.js'
import { checkInfo } from './info-url.js'
import { exportType, num, quote, Report, str } from './read.js'
import { checkSubject, hasWildcards, isContainedIn } from './subjects.js'

const RESPONSE_TYPES = new Set(['', 'Singleton', 'Stream', 'Chunked'])

function checkExport(e: Json, report: Report): void {
  const type = exportType(e, 'type')
  if (type === 'unknown') report.error(`invalid export type: ${quote(type)}`)
  const responseType = str(e, 'response_type')
  if (type === 'service' && !RESPONSE_TYPES.has(responseType)) {
    report.error(`invalid response type for service: ${quote(responseType)}`)
  }
  if (type === 'stream') {
    if (responseType !== '') {
      report.error(`invalid response type for stream: ${quote(responseType)}`)
    }
    if (e.allow_trace === true) report.error('AllowTrace only valid for service export')
  }
  const latency = e.service_latency
  if (isRecord(latency)) {
    if (type !== 'service') report.error('latency tracking only permitted for services')
    // "headers" reads as 0
    const sampling = num(latency, 'sampling')
    if (sampling !== 0 && (sampling < 1 || sampling > 100)) {
      report.error('sampling percentage needs to be between 1-100')
    }
    const results = str(latency, 'results')
    checkSubject(results, report)
    if (hasWildcards(results)) report.error('results subject can not contain wildcards')
  }
  const threshold = num(e, 'response_threshold')
  if (threshold < 0) report.error('negative response threshold is invalid')
  if (threshold > 0 && type !== 'service') {
    report.error('response threshold only valid for services')
  }
  const subject = str(e, 'subject')
  checkSubject(subject, report)
  const position = num(e, 'account_token_position')
  if (position > 0) {
    const tokens = subject.split('.')
    if (!hasWildcards(subject)) {
      report.error(`Account Token Position can only be used with wildcard subjects: ${subject}`)
    } else if (position > tokens.length) {
      report.error(`Account Token Position ${position} exceeds length of subject '${subject}'`)
    } else if (tokens[position - 1] !== '*') {
      const token = tokens[position - 1]
      report.error(
        `Account Token Position ${position} matches '${token}' but must match a * in: ${subject}`,
      )
    }
  }
  checkInfo(e, report)
}

/** Each subject that contains another export of the same kind, with the first one it contains. */
function checkContainment(kind: string, subjects: string[], report: Report): void {
  const contained = new Map<string, string>()
  subjects.forEach((inner, i) => {
    subjects.forEach((outer, j) => {
      if (i !== j && !contained.has(outer) && isContainedIn(inner, outer)) {
        contained.set(outer, inner)
      }
    })
  })
  for (const [outer, inner] of contained) {
    report.error(`${kind} export subject ${quote(outer)} already exports ${quote(inner)}`)
  }
}

export function checkExports(exports: unknown[], report: Report): void {
  const services: string[] = []
  const streams: string[] = []
  for (const e of exports) {
    if (!isRecord(e)) {
      report.error('null export is not allowed')
      continue
    }
    // Go files every non-service export, untyped ones included, with the streams
    ;(e.type === 'service' ? services : streams).push(str(e, 'subject'))
    checkExport(e, report)
  }
  checkContainment('service', services, report)
  checkContainment('stream', streams, report)
}
