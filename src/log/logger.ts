/**
 * Logging on pino: JSON lines, or readable lines in the Go server's style
 * (`2026/11/22 09:26:10.123456 [INF] message key=value`). Both go to stderr, as the Go server's did.
 * @module
 */
import { pino, type Logger } from 'pino'

export type { Logger }
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error'
export type LogFormat = 'text' | 'json'

export type LoggerOptions = {
  /** @default 'info' */
  level?: LogLevel
  /** @default 'text' */
  format?: LogFormat
  /** Where lines go. @default process.stderr */
  destination?: { write(line: string): unknown }
}

const LABELS: Record<number, string> = { 10: 'TRC', 20: 'DBG', 30: 'INF', 40: 'WRN', 50: 'ERR', 60: 'FTL' }
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname'])

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr
  const level = options.level ?? 'info'
  if (options.format === 'json') {
    // The level as a word ("info"), as log collectors expect, not pino's number.
    return pino(
      { level, base: undefined, formatters: { level: (label) => ({ level: label }) } },
      { write: (line: string) => destination.write(line) },
    )
  }
  return pino({ level, base: undefined }, { write: (line: string) => destination.write(toText(line)) })
}

function toText(jsonLine: string): string {
  const record = JSON.parse(jsonLine) as Record<string, unknown>
  let line = `${timestamp(new Date(record.time as number))} [${LABELS[record.level as number] ?? 'INF'}] ${String(record.msg ?? '')}`
  for (const [key, value] of Object.entries(record)) {
    if (OMITTED.has(key)) continue
    line += ` ${key}=${typeof value === 'string' && !/[\s"]/.test(value) ? value : JSON.stringify(value)}`
  }
  return `${line}\n`
}

function timestamp(date: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0')
  return `${date.getFullYear()}/${pad(date.getMonth() + 1)}/${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}000`
}
