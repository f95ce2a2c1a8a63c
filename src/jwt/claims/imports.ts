/**
 * Imports (nats-io/jwt imports.go) and their activation tokens (activation_claims.go).
 * @module
 */
import { decodeActivationJwt } from '../activation.js'
import { claimVersion, isRecord, type JsonObject as Json } from '../json.js'
import { isPublicKeyOf } from '../nkeys.js'
import { exportType, quote, rec, Report, str } from './read.js'
import { ACTIVATION_V1, ACTIVATION_V2, loadProblems } from './shapes.js'
import { checkRenaming, checkSubject, isContainedIn, renamedSubject } from './subjects.js'

/** jwt v2.8.1 refuses to decode larger tokens. */
const MAX_TOKEN_SIZE = 1024 * 1024

type Activation = {
  issuer: string
  subject: string
  issuerAccount: string
  importSubject: string
  importType: 'stream' | 'service' | 'unknown'
}

/** Go's `DecodeActivationClaims`, which verifies the signature; null where it fails. */
function decodeActivation(token: string): Activation | null {
  if (Buffer.byteLength(token) > MAX_TOKEN_SIZE) return null
  let decoded
  try {
    decoded = decodeActivationJwt(token)
  } catch {
    return null
  }
  const claims = decoded.claims
  if (loadProblems(claims, ACTIVATION_V1, ACTIVATION_V2, decoded.payloadJson).length > 0) return null
  const issuer = str(claims, 'iss')
  const v1 = claimVersion(claims) === 1
  const nats = rec(claims, 'nats')
  return {
    issuer,
    subject: str(claims, 'sub'),
    issuerAccount: str(v1 ? claims : nats, 'issuer_account'),
    importSubject: str(nats, 'subject'),
    importType: exportType(nats, v1 ? 'type' : 'kind'),
  }
}

function checkImport(i: Json, accountKey: string, report: Report): void {
  const type = exportType(i, 'type')
  if (type === 'unknown') report.error(`invalid import type: ${quote(type)}`)
  if (type === 'service' && i.allow_trace === true) {
    report.error('AllowTrace only valid for stream import')
  }
  const account = str(i, 'account')
  if (account === '') report.error('account to import from is not specified')
  const to = str(i, 'to')
  if (to !== '') report.warning('the field to has been deprecated (use LocalSubject instead)')
  const subject = str(i, 'subject')
  checkSubject(subject, report)
  const local = str(i, 'local_subject')
  if (local !== '') {
    checkRenaming(local, subject, report)
    if (to !== '') report.error('Local Subject replaces To')
  }
  if (i.share === true && type !== 'service') {
    report.error(
      `sharing information (for latency tracking) is only valid for services: ${quote(subject)}`,
    )
  }
  const token = str(i, 'token')
  if (token === '') return
  const act = decodeActivation(token)
  if (act === null) {
    report.error(`import ${quote(subject)} contains an invalid activation token`)
    return
  }
  if (act.issuer !== account && act.issuerAccount !== account) {
    report.error(`activation token doesn't match account for import ${quote(subject)}`)
  }
  if (act.subject !== accountKey) {
    report.error(
      `activation token doesn't match account it is being included in, ${quote(subject)}`,
    )
  }
  if (act.importType !== type) {
    report.error(`mismatch between token import type ${act.importType} and type of import ${type}`)
  }
  // the activation's own checks, without its time checks (Go skips them for embedded tokens)
  if (act.importType === 'unknown') report.error(`invalid import type: ${quote(act.importType)}`)
  checkSubject(act.importSubject, report)
  if (act.issuerAccount !== '' && !isPublicKeyOf(act.issuerAccount, 'A')) {
    report.error('account_id is not an account public key')
  }
  const imported = type === 'service' && to !== '' ? to : subject
  if (!isContainedIn(imported, act.importSubject)) {
    const granted = quote(act.importSubject)
    report.error(`activation token import subject ${granted} doesn't match import ${quote(subject)}`)
  }
}

export function checkImports(imports: unknown[], accountKey: string, report: Report): void {
  // jwt v2.8.1 only rejects overlapping service imports from the same exporter; older releases
  // (nats-server < 2.11.15 / 2.12.6) reject any two that overlap, so that rule is kept.
  const localSubjects: string[] = []
  for (const i of imports) {
    if (!isRecord(i)) {
      report.error('null import is not allowed')
      continue
    }
    if (i.type === 'service') {
      const local = str(i, 'to') || renamedSubject(str(i, 'local_subject')) || str(i, 'subject')
      for (const other of localSubjects) {
        if (isContainedIn(local, other) || isContainedIn(other, local)) {
          report.error(`overlapping subject namespace for ${quote(local)} and ${quote(other)}`)
        }
      }
      // Go names the import's `to` here, usually empty; the subject is what clashes
      if (localSubjects.includes(local)) {
        report.error(`overlapping subject namespace for ${quote(local)}`)
      } else localSubjects.push(local)
    }
    checkImport(i, accountKey, report)
  }
}
