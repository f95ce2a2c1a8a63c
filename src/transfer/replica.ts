/**
 * Replica start-up (`-primary <url>`, the Go server's replica mode): import the primary's pack
 * once, with the same checks and newest-wins rule as any import. A primary that cannot be
 * reached is logged and start-up goes on with what is stored.
 * @module
 */
import type { Logger } from '../log/logger.js'
import type { AccountService } from '../accounts/service.js'
import { formatSummary, importItems } from './import.js'
import { fetchPack, packItems, packUrl } from './sources.js'

export async function importFromPrimary(
  service: AccountService,
  primary: string,
  options: { timeoutMs: number; maxPack: number; logger: Logger },
): Promise<void> {
  const { logger } = options
  if (service.trust === null) {
    logger.error(`not importing from primary ${primary}: no operator is configured, so no JWT can be accepted`)
    return
  }
  const url = packUrl(primary, options.maxPack)
  logger.info(`grabbing initial JWT pack from primary ${primary}`)
  let pack: string
  try {
    pack = await fetchPack(url, options.timeoutMs)
  } catch (err) {
    logger.error(`unable to initialize from primary, ${(err as Error).message}, will use what is on disk`)
    return
  }
  const summary = await importItems(packItems(pack, primary), service, {
    source: `primary ${primary}`,
    onLine: (line) => {
      if (line.outcome === 'rejected' || line.outcome === 'skipped') {
        logger.warn({ account: line.pubkey, origin: line.origin }, `not imported from primary: ${line.detail}`)
      }
    },
  })
  logger.info(`imported the pack of primary ${primary}: ${formatSummary(summary, false)}`)
}
