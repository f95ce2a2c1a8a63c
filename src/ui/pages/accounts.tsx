/** The accounts page: every account, searchable by name or key, sortable, a page at a time. @module */
import type { FC } from 'hono/jsx'
import type { AccountSummary } from '../../accounts/overview.js'
import { accountHref, Badge, IssuerKind, Key, Page, When } from '../layout.js'

export type ListQuery = { q: string; status: string }

export type AccountsPageProps = {
  rows: readonly AccountSummary[]
  query: ListQuery
  /** How many accounts match (null: not counted). */
  total: number | null
  /** The cursor of the next page (null: this is the last one). */
  next: string | null
  /** This is not the first page. */
  paged: boolean
  statuses: readonly string[]
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

const Status: FC<{ row: AccountSummary; now: number; soon: number }> = ({ row, now, soon }) => {
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
      {row.drifted > 0 && <Badge tone="bad">drifted</Badge>}
      {row.status === 'active' && !expired && row.findings === 0 && row.drifted === 0 && <Badge tone="ok">ok</Badge>}
    </>
  )
}

/** A column the rows of this page can be sorted by (the pages themselves come in key order). */
const SortHeader: FC<{ label: string; column: number; sorted?: boolean; hideSmall?: boolean }> = ({ label, column, sorted = false, hideSmall = false }) => (
  <th scope="col" class={hideSmall ? 'hide-sm' : undefined} aria-sort={sorted ? 'ascending' : 'none'}>
    <button type="button" class="sort" data-sort={column}>
      {label}
    </button>
  </th>
)

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
        <button type="submit">Search</button>
      </form>
      <p class="sub" aria-live="polite">
        {props.total === null ? `${rows.length} shown` : `${props.total} account${props.total === 1 ? '' : 's'}${query.q || query.status ? ' match' : ''}`}
        {props.paged ? ' · a later page' : ''}
      </p>
      <div class="scroll">
        <table data-sortable>
          <thead>
            <tr>
              <SortHeader label="Name" column={0} />
              <SortHeader label="Key" column={1} sorted />
              <th scope="col" class="hide-sm">Issuer</th>
              <SortHeader label="Issued" column={3} hideSmall />
              <SortHeader label="Expires" column={4} />
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
                <td data-value={row.name.toLowerCase()}>
                  <a href={accountHref(row.key)}>{row.name || '(no name)'}</a>
                </td>
                <td data-value={row.key}>
                  <Key value={row.key} short />
                </td>
                <td class="hide-sm">
                  <IssuerKind kind={row.issuer_kind} />
                </td>
                <td class="hide-sm" data-value={row.iat}>
                  <When seconds={row.iat} now={now} />
                </td>
                <td data-value={row.exp === 0 ? Number.MAX_SAFE_INTEGER : row.exp}>
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
