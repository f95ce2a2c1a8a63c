/**
 * An account's history as a timeline, and the diff between any two of its versions.
 * @module
 */
import type { FC } from 'hono/jsx'
import type { HistoryItem } from '../accounts/overview.js'
import type { DiffGap, DiffLine } from './diff.js'
import { Key, When } from './layout.js'

export type Comparison = {
  from: string
  to: string
  lines: (DiffLine | DiffGap)[]
}

const SOURCES: Record<HistoryItem['source'], string> = { http: 'HTTP push', nats: 'NATS', import: 'import' }

/** Accepted versions can be compared; a version is named by its `jti` and when it came. */
function versions(history: readonly HistoryItem[]): HistoryItem[] {
  const seen = new Set<string>()
  return history.filter((h) => h.event === 'accepted' && !seen.has(h.jti) && seen.add(h.jti))
}

function versionLabel(entry: HistoryItem): string {
  return `${entry.received_at.slice(0, 19).replace('T', ' ')} UTC · ${entry.jti.slice(0, 10)}`
}

const VersionSelect: FC<{ name: string; label: string; options: HistoryItem[]; selected: string }> = ({ name, label, options, selected }) => (
  <div>
    <label for={`diff-${name}`}>{label}</label>
    <select id={`diff-${name}`} name={name}>
      {options.map((v) => (
        <option value={v.jti} selected={v.jti === selected}>
          {versionLabel(v)}
        </option>
      ))}
    </select>
  </div>
)

export const Timeline: FC<{ pubkey: string; history: HistoryItem[]; now: number }> = ({ pubkey, history, now }) => {
  const accepted = versions(history)
  return (
    <ol class="timeline">
      {history.map((entry) => {
        const older = accepted[accepted.findIndex((v) => v.jti === entry.jti) + 1]
        return (
          <li class={entry.event}>
            <strong>{entry.event === 'deleted' ? 'Deleted' : 'Accepted'}</strong> <When ms={Date.parse(entry.received_at)} now={now} /> via{' '}
            {SOURCES[entry.source]}
            {entry.source_detail ? ` (${entry.source_detail})` : ''}
            <div class="muted">
              jti <span class="mono">{entry.jti}</span> · issued <When seconds={entry.iat} now={now} /> · expires{' '}
              <When seconds={entry.exp} now={now} never="never" /> · signed by <Key value={entry.issuer} short />
            </div>
            <div>
              Notification: {entry.notification === '' ? <span class="muted">none sent</span> : entry.notification}
            </div>
            {entry.event === 'accepted' && older && (
              <a href={`/ui/accounts/${pubkey}?from=${encodeURIComponent(older.jti)}&to=${encodeURIComponent(entry.jti)}#diff`}>
                Compare with the version before
              </a>
            )}
          </li>
        )
      })}
    </ol>
  )
}

export const DiffView: FC<{ pubkey: string; history: HistoryItem[]; comparison: Comparison | null }> = ({ pubkey, history, comparison }) => {
  const accepted = versions(history)
  if (accepted.length < 2) return <p class="muted">Only one version is stored: nothing to compare yet.</p>
  return (
    <>
      <form class="search" method="get" action={`/ui/accounts/${pubkey}#diff`}>
        <VersionSelect name="from" label="From version" options={accepted} selected={comparison?.from ?? accepted[1]!.jti} />
        <VersionSelect name="to" label="To version" options={accepted} selected={comparison?.to ?? accepted[0]!.jti} />
        <button type="submit">Compare</button>
      </form>
      {comparison && (
        <pre class="diff" aria-label="Changes between the two versions">
          {comparison.lines.every((l) => l.kind === 'same' || l.kind === 'gap') ? (
            <div class="gap">The two versions have the same claims.</div>
          ) : (
            comparison.lines.map((line) =>
              line.kind === 'gap' ? (
                <div class="gap">{`… ${line.lines} unchanged line${line.lines === 1 ? '' : 's'}`}</div>
              ) : (
                <div class={line.kind}>{`${line.kind === 'added' ? '+' : line.kind === 'removed' ? '-' : ' '} ${line.text}`}</div>
              )
            )
          )}
        </pre>
      )}
    </>
  )
}
