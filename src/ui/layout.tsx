/**
 * The page shell and the small pieces every page uses: navigation, times, keys, badges.
 * @module
 */
import type { Child, FC, PropsWithChildren } from 'hono/jsx'
import type { IssuerKind as Kind } from '../accounts/overview.js'
import { CLIENT_SCRIPT, STYLE_SHEET } from './assets.js'
import { relative, utc } from './time.js'

export type Section = 'accounts' | 'fleet' | 'checks'

export type PageProps = PropsWithChildren<{
  title: string
  section?: Section
  /** Shown in the header when the viewer is an admin identity. */
  admin: boolean
}>

const NAV: [Section, string, string][] = [
  ['accounts', 'Accounts', '/ui/'],
  ['fleet', 'Fleet', '/ui/fleet'],
  ['checks', 'Checks', '/ui/checks'],
]

export const Page: FC<PageProps> = ({ title, section, admin, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      <title>{`${title} · nats-accounts`}</title>
      <link rel="stylesheet" href={STYLE_SHEET.path} />
      <script src={CLIENT_SCRIPT.path} defer></script>
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <nav aria-label="Main">
          <strong>nats-accounts</strong>
          {NAV.map(([id, label, href]) => (
            <a href={href} aria-current={id === section ? 'page' : undefined}>
              {label}
            </a>
          ))}
          <a class="who" href="/ui/sign-in">
            {admin ? 'admin · sign out' : 'read-only · sign in'}
          </a>
        </nav>
      </header>
      <main id="main">
        {children}
        <p id="live" role="status" aria-live="polite"></p>
      </main>
    </body>
  </html>
)

/** A time in UTC with how far it is from now; `-` for none (0: never). */
export const When: FC<{ seconds?: number; ms?: number; now: number; never?: string }> = ({ seconds, ms, now, never = '–' }) => {
  const at = ms ?? (seconds ? seconds * 1000 : 0)
  if (!at) return <span class="muted">{never}</span>
  return (
    <>
      <time datetime={new Date(at).toISOString()}>{utc(at)}</time> <span class="rel">({relative(at, now)})</span>
    </>
  )
}

/** `ABCDEF…WXYZ`: enough of a key to tell keys apart in a table. */
export function shortKey(key: string): string {
  return key.length > 16 ? `${key.slice(0, 8)}…${key.slice(-4)}` : key
}

/** A key, shortened or whole, with a button that copies all of it. */
export const Key: FC<{ value: string; short?: boolean; href?: string }> = ({ value, short = false, href }) => {
  const text = short ? shortKey(value) : value
  return (
    <span class="mono" title={value}>
      {href ? <a href={href}>{text}</a> : text}
      <button type="button" class="copy" data-copy={value} data-what="key" aria-label={`Copy key ${value}`}>
        Copy
      </button>
    </span>
  )
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info'

export const Badge: FC<{ tone: Tone; children: Child }> = ({ tone, children }) => <span class={`badge b-${tone}`}>{children}</span>

/** A link to an account's page. */
export function accountHref(pubkey: string): string {
  return `/ui/accounts/${pubkey}`
}

/** `<dl>` of label/value pairs, leaving out values that are undefined. */
export const Facts: FC<{ rows: [string, Child][] }> = ({ rows }) => (
  <dl class="kv">
    {rows
      .filter(([, value]) => value !== undefined)
      .map(([label, value]) => (
        <>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </>
      ))}
  </dl>
)

/** Who signed an account: the operator's identity key, one of its signing keys, or neither. */
export const IssuerKind: FC<{ kind: Kind | null }> = ({ kind }) =>
  kind === null ? <span class="muted">–</span> : kind === 'untrusted' ? <Badge tone="bad">untrusted key</Badge> : <>{kind === 'operator' ? 'operator' : 'signing key'}</>

/** A column heading; `wide` ones are hidden on a phone (their cells too, by the class `hide-sm`). */
export type Column = string | { label: string; wide: true }

/** A scrollable table with plain column headings; the rows are the children. */
export const Table: FC<PropsWithChildren<{ columns: Column[]; caption?: string }>> = ({ columns, caption, children }) => (
  <div class="scroll">
    <table>
      {caption && <caption class="muted">{caption}</caption>}
      <thead>
        <tr>
          {columns.map((column) =>
            typeof column === 'string' ? (
              <th scope="col">{column}</th>
            ) : (
              <th scope="col" class="hide-sm">
                {column.label}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </div>
)
