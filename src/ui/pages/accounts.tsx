/** The accounts page: every account, searchable by name or key, sortable, a page at a time. @module */
import type { FC } from 'hono/jsx'
import { accountHref, Badge, Key, Page, When } from '../layout.js'

/** What the list shows of one account. */
export type AccountRow = {
  pubkey: string
  name: string
  /** 'operator' (its identity key) or 'signing key'. */
  issuerKind: string
  iat: number
  exp: number
  status: string
  findings: number
  drifted: boolean
}

export type ListQuery = { q: string; status: string; sort: string }

export type AccountsPageProps = {
  rows: readonly AccountRow[]
  query: ListQuery
  /** How many accounts match (null: not counted). */
  total: number | null
  /** The cursor of the next page (null: this is the last one). */
  next: string | null
  /** This is not the first page. */
  paged: boolean
  statuses: readonly string[]
  sorts: readonly (readonly [string, string])[]
  /** Accounts expiring within this many seconds get the "expiring soon" badge. */
  expiringWithinSeconds: number
  now: number
  admin: boolean
}

function listHref(query: ListQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries({ ...query, ...extra })) if (value !== '') params.set(key, value)
  const search = params.toString()
  return search === '' ? '/ui/' : `/ui/?${search}`
}

const Status: FC<{ row: AccountRow; now: number; soon: number }> = ({ row, now, soon }) => {
  const seconds = now / 1000
  const expired = row.exp > 0 && row.exp <= seconds
  return (
    <>
      {row.status === 'deleted' ? <Badge tone="bad">deleted</Badge> : expired ? <Badge tone="bad">expired</Badge> : null}
      {!expired && row.exp > 0 && row.exp - seconds < soon && <Badge tone="warn">expiring soon</Badge>}
      {row.findings > 0 && (
        <Badge tone="warn">
          {row.findings} finding{row.findings === 1 ? '' : 's'}
        </Badge>
      )}
      {row.drifted && <Badge tone="bad">drifted</Badge>}
      {row.status === 'active' && !expired && row.findings === 0 && !row.drifted && <Badge tone="ok">ok</Badge>}
    </>
  )
}

export const AccountsPage: FC<AccountsPageProps> = (props) => {
  const { rows, query, now } = props
  return (
    <Page title="Accounts" section="accounts" admin={props.admin}>
      <h1>Accounts</h1>
      <form class="search" method="get" action="/ui/" role="search">
        <div>
          <label for="q">Name or key</label>
          <input type="search" id="q" name="q" value={query.q} placeholder="e.g. billing or ABCD" autocomplete="off" />
        </div>
        <div>
          <label for="status">Status</label>
          <select id="status" name="status">
            <option value="">any</option>
            {props.statuses.map((s) => (
              <option value={s} selected={s === query.status}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="sort">Sort by</label>
          <select id="sort" name="sort">
            {props.sorts.map(([value, label]) => (
              <option value={value} selected={value === query.sort}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Search</button>
      </form>
      <p class="sub" aria-live="polite">
        {props.total === null ? `${rows.length} shown` : `${props.total} account${props.total === 1 ? '' : 's'}${query.q || query.status ? ' match' : ''}`}
        {props.paged ? ' · a later page' : ''}
      </p>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col" class="hide-sm">Issuer</th>
              <th scope="col" class="hide-sm">Issued</th>
              <th scope="col">Expires</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colspan={6} class="muted">
                  No account matches.
                </td>
              </tr>
            )}
            {rows.map((row) => (
              <tr>
                <td>
                  <a href={accountHref(row.pubkey)}>{row.name || '(no name)'}</a>
                </td>
                <td>
                  <Key value={row.pubkey} short />
                </td>
                <td class="hide-sm">{row.issuerKind}</td>
                <td class="hide-sm">
                  <When seconds={row.iat} now={now} />
                </td>
                <td>
                  <When seconds={row.exp} now={now} never="never" />
                </td>
                <td>
                  <Status row={row} now={now} soon={props.expiringWithinSeconds} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Pages">
        {props.paged && <a href={listHref(query)}>First page</a>}
        {props.next !== null && (
          <a href={listHref(query, { cursor: props.next })} rel="next">
            Next page
          </a>
        )}
      </nav>
    </Page>
  )
}
