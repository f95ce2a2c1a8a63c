/**
 * An account's claims in readable sections, from the decoded JWT: whatever a field holds is
 * shown (unknown or malformed values as JSON), so nothing the JWT says is hidden.
 * @module
 */
import type { Child, FC } from 'hono/jsx'
import { isRecord, type JsonObject } from '../jwt/json.js'
import type { ClaimsData } from '../jwt/types.js'
import { accountHref, Facts, Key, Table, When } from './layout.js'

const BYTE_LIMITS = new Set(['data', 'payload', 'mem_storage', 'disk_storage', 'mem_max_stream_bytes', 'disk_max_stream_bytes'])
const ACCOUNT_LIMITS: [string, string][] = [
  ['conn', 'Connections'],
  ['leaf', 'Leaf node connections'],
  ['subs', 'Subscriptions'],
  ['data', 'Data'],
  ['payload', 'Message payload'],
  ['imports', 'Imports'],
  ['exports', 'Exports'],
  ['wildcards', 'Wildcard exports'],
  ['disallow_bearer', 'Bearer tokens disallowed'],
]
const JETSTREAM_LIMITS: [string, string][] = [
  ['mem_storage', 'Memory storage'],
  ['disk_storage', 'Disk storage'],
  ['streams', 'Streams'],
  ['consumer', 'Consumers'],
  ['max_ack_pending', 'Max ack pending'],
  ['mem_max_stream_bytes', 'Max memory stream'],
  ['disk_max_stream_bytes', 'Max disk stream'],
  ['max_bytes_required', 'Max bytes required'],
]

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/** `1 GiB` for 1073741824; exact counts stay in the title. */
function bytes(value: number): string {
  let unit = 0
  let scaled = value
  while (scaled >= 1024 && unit < UNITS.length - 1) {
    scaled /= 1024
    unit++
  }
  return `${Number.isInteger(scaled) ? scaled : scaled.toFixed(1)} ${UNITS[unit]}`
}

/** A limit as nsc describes it: -1 is unlimited. */
function limit(field: string, value: unknown): Child {
  if (value === undefined) return undefined
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  if (typeof value !== 'number') return <code>{JSON.stringify(value)}</code>
  if (value < 0) return 'unlimited'
  if (BYTE_LIMITS.has(field) && value > 0) return <span title={`${value} bytes`}>{bytes(value)}</span>
  return String(value)
}

const Json: FC<{ value: unknown }> = ({ value }) => <code>{JSON.stringify(value)}</code>

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

function record(value: unknown): JsonObject {
  return isRecord(value) ? value : {}
}

/** A plain value: strings as they are, the rest as JSON. */
function text(value: unknown): Child {
  if (value === undefined || value === null || value === '') return undefined
  return typeof value === 'string' ? value : <Json value={value} />
}

/** A section of the claims; `wide` ones (tables) take a whole row of the grid. */
const Card: FC<{ title: string; id: string; wide?: boolean; children: Child }> = ({ title, id, wide = false, children }) => (
  <section class={wide ? 'card wide' : 'card'} aria-labelledby={id}>
    <h3 id={id}>{title}</h3>
    {children}
  </section>
)

const None: FC<{ what: string }> = ({ what }) => <p class="muted">{what}</p>

const Limits: FC<{ limits: JsonObject }> = ({ limits }) => (
  <Card title="Limits" id="limits">
    <Facts rows={ACCOUNT_LIMITS.map(([field, label]) => [label, limit(field, limits[field])])} />
  </Card>
)

const JetStream: FC<{ limits: JsonObject }> = ({ limits }) => {
  const tiers = Object.entries(record(limits.tiered_limits))
  const enabled = tiers.length > 0 || JETSTREAM_LIMITS.some(([field]) => typeof limits[field] === 'number' && limits[field] !== 0)
  return (
    <Card title="JetStream" id="jetstream" wide={tiers.length > 0}>
      {enabled ? (
        <>
          {tiers.length === 0 && <Facts rows={JETSTREAM_LIMITS.map(([field, label]) => [label, limit(field, limits[field])])} />}
          {tiers.length > 0 && (
            <div class="scroll">
              <table>
                <caption class="muted">Tiered limits</caption>
                <thead>
                  <tr>
                    <th scope="col">Tier</th>
                    {JETSTREAM_LIMITS.map(([, label]) => (
                      <th scope="col">{label}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {tiers.map(([tier, values]) => (
                    <tr>
                      <th scope="row">{tier}</th>
                      {JETSTREAM_LIMITS.map(([field]) => (
                        <td class="num">{limit(field, record(values)[field]) ?? '–'}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : (
        <None what="JetStream is disabled for this account." />
      )}
    </Card>
  )
}

const Imports: FC<{ imports: unknown[] }> = ({ imports }) => (
  <Card title={`Imports (${imports.length})`} id="imports" wide={imports.length > 0}>
    {imports.length === 0 ? (
      <None what="No imports." />
    ) : (
      <Table columns={['Name', 'Type', 'Subject', 'From account', 'Local subject', 'Token']}>
            {imports.map((item) => {
              const i = record(item)
              const from = typeof i.account === 'string' ? i.account : ''
              return (
                <tr>
                  <td>{text(i.name)}</td>
                  <td>{text(i.type) ?? 'stream'}</td>
                  <td class="mono">{text(i.subject)}</td>
                  <td>{from && <Key value={from} short href={accountHref(from)} />}</td>
                  <td class="mono">{text(i.local_subject) ?? text(i.to)}</td>
                  <td>{i.token ? 'yes' : 'no'}</td>
                </tr>
              )
            })}
      </Table>
    )}
  </Card>
)

const Exports: FC<{ exports: unknown[]; now: number }> = ({ exports, now }) => (
  <Card title={`Exports (${exports.length})`} id="exports" wide={exports.length > 0}>
    {exports.length === 0 ? (
      <None what="No exports." />
    ) : (
      <Table columns={['Name', 'Type', 'Subject', 'Token required', 'Response', 'Revocations']}>
            {exports.map((item) => {
              const e = record(item)
              const revoked = Object.entries(record(e.revocations))
              return (
                <tr>
                  <td>{text(e.name)}</td>
                  <td>{text(e.type) ?? 'stream'}</td>
                  <td class="mono">{text(e.subject)}</td>
                  <td>{e.token_req ? 'yes' : 'no'}</td>
                  <td>{e.type === 'service' ? (text(e.response_type) ?? 'Singleton') : '–'}</td>
                  <td>
                    {revoked.length === 0
                      ? '–'
                      : revoked.map(([key, at]) => (
                          <div>
                            <Key value={key} short /> <When seconds={Number(at)} now={now} />
                          </div>
                        ))}
                  </td>
                </tr>
              )
            })}
      </Table>
    )}
  </Card>
)

const SigningKeys: FC<{ keys: unknown[] }> = ({ keys }) => (
  <Card title={`Signing keys (${keys.length})`} id="signing-keys" wide={keys.some((k) => typeof k !== 'string')}>
    {keys.length === 0 ? (
      <None what="No signing keys: users are signed with the account key." />
    ) : (
      <ul>
        {keys.map((entry) => {
          if (typeof entry === 'string') return <li><Key value={entry} /></li>
          const scoped = record(entry)
          return (
            <li>
              <Key value={String(scoped.key ?? '')} /> <span class="badge b-info">scoped</span> role <strong>{text(scoped.role) ?? '–'}</strong>
              {scoped.description ? <> · {text(scoped.description)}</> : null}
              <pre class="wrap">{JSON.stringify(scoped.template ?? {}, null, 2)}</pre>
            </li>
          )
        })}
      </ul>
    )}
  </Card>
)

const Revocations: FC<{ revocations: [string, unknown][]; now: number }> = ({ revocations, now }) => (
  <Card title={`Revoked users (${revocations.length})`} id="revocations">
    {revocations.length === 0 ? (
      <None what="No revocations." />
    ) : (
      <ul>
        {revocations.map(([key, at]) => (
          <li>
            {key === '*' ? <strong>every user</strong> : <Key value={key} short />} issued before <When seconds={Number(at)} now={now} />
          </li>
        ))}
      </ul>
    )}
  </Card>
)

const Mappings: FC<{ mappings: [string, unknown][] }> = ({ mappings }) => (
  <Card title={`Subject mappings (${mappings.length})`} id="mappings">
    {mappings.length === 0 ? (
      <None what="No mappings." />
    ) : (
      <ul>
        {mappings.map(([from, targets]) => (
          <li>
            <code>{from}</code> →{' '}
            {list(targets).map((t) => {
              const target = record(t)
              return (
                <span>
                  <code>{text(target.subject)}</code> {target.weight !== undefined && `${String(target.weight)}%`}
                  {target.cluster ? ` in ${String(target.cluster)}` : ''}{' '}
                </span>
              )
            })}
          </li>
        ))}
      </ul>
    )}
  </Card>
)

const AuthCallout: FC<{ authorization: JsonObject | undefined }> = ({ authorization }) => (
  <Card title="Auth callout" id="auth-callout">
    {authorization === undefined || list(authorization.auth_users).length === 0 ? (
      <None what="No auth callout." />
    ) : (
      <Facts
        rows={[
          ['Auth users', list(authorization.auth_users).map((u) => <div><Key value={String(u)} short /></div>)],
          [
            'Allowed accounts',
            list(authorization.allowed_accounts).map((a) => (
              <div>{a === '*' ? <strong>* (any account)</strong> : <Key value={String(a)} short href={accountHref(String(a))} />}</div>
            )),
          ],
          ['Encryption key (xkey)', authorization.xkey ? <Key value={String(authorization.xkey)} short /> : 'none'],
        ]}
      />
    )}
  </Card>
)

/** Everything `nats` holds that the sections show; the rest goes to "Other claims". */
const SHOWN = new Set(['limits', 'imports', 'exports', 'signing_keys', 'revocations', 'mappings', 'authorization', 'tags', 'trace', 'type', 'version', 'description', 'info_url', 'default_permissions', 'cluster_traffic'])

export const ClaimSections: FC<{ claims: ClaimsData; now: number }> = ({ claims, now }) => {
  const nats = record(claims.nats)
  const tags = list(nats.tags ?? claims.tags)
  const trace = isRecord(nats.trace) ? nats.trace : undefined
  const other = Object.entries(nats).filter(([key]) => !SHOWN.has(key))
  return (
    <div class="grid">
      <Limits limits={record(nats.limits)} />
      <JetStream limits={record(nats.limits)} />
      <Imports imports={list(nats.imports)} />
      <Exports exports={list(nats.exports)} now={now} />
      <SigningKeys keys={list(nats.signing_keys)} />
      <Revocations revocations={Object.entries(record(nats.revocations))} now={now} />
      <Mappings mappings={Object.entries(record(nats.mappings))} />
      <AuthCallout authorization={isRecord(nats.authorization) ? nats.authorization : undefined} />
      <Card title="Other settings" id="other" wide>
        <Facts
          rows={[
            ['Tags', tags.length === 0 ? 'none' : tags.map((t) => <span class="badge b-info">{String(t)}</span>)],
            ['Message tracing', trace ? <>to <code>{text(trace.dest)}</code>, sampling {String(trace.sampling ?? 100)}%</> : 'off'],
            ['Cluster traffic', text(nats.cluster_traffic) ?? 'default (system account)'],
            ['Default permissions', nats.default_permissions === undefined ? 'none' : <Json value={nats.default_permissions} />],
            ['Description', text(nats.description)],
            ['Info URL', text(nats.info_url)],
            ...other.map(([key, value]): [string, Child] => [key, <Json value={value} />]),
          ]}
        />
      </Card>
    </div>
  )
}
