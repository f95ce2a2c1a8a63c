/**
 * Check findings as tables: on an account's page, and grouped by code on the checks page.
 * @module
 */
import type { FC } from 'hono/jsx'
import type { Finding } from '../checks/index.js'
import { accountHref, Badge, shortKey, Table } from './layout.js'

export const Severity: FC<{ severity: string }> = ({ severity }) => (
  <Badge tone={severity === 'error' ? 'bad' : severity === 'warning' ? 'warn' : 'info'}>{severity}</Badge>
)

/** One row per finding; `withAccount` adds the column naming the account it is about. */
export const FindingTable: FC<{ findings: readonly Finding[]; withAccount?: boolean; caption?: string }> = ({ findings, withAccount = false, caption }) => (
  <Table columns={['Severity', withAccount ? 'Account' : 'Code', 'Finding', { label: 'Other account', wide: true }]} caption={caption}>
        {findings.map((f) => (
          <tr>
            <td>
              <Severity severity={f.severity} />
            </td>
            {withAccount ? (
              <td>
                <a href={accountHref(f.account)}>{f.name || shortKey(f.account)}</a>
              </td>
            ) : (
              <td class="mono">{f.code}</td>
            )}
            <td>
              {f.message}
              {f.field && (
                <div class="muted">
                  field <code>{f.field}</code>
                </div>
              )}
            </td>
            <td class="hide-sm">{f.other ? <a href={accountHref(f.other)} class="mono">{shortKey(f.other)}</a> : '–'}</td>
          </tr>
        ))}
  </Table>
)
