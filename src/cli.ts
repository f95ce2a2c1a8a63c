#!/usr/bin/env node
import { main } from './cli/main.js'

process.exitCode = await main(process.argv.slice(2))
// A cluster worker's IPC channel would keep it alive after it stopped serving.
if (process.connected) process.disconnect()
