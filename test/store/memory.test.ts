import { memoryStore } from '../../src/store/drivers/memory.js'
import { testJwtStore } from './contract.js'

testJwtStore({ name: 'memory', open: async () => ({ store: memoryStore() }), persistent: false })
