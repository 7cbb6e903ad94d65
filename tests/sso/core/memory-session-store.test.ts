import { MemorySessionStore } from '../../../src/sso/ports/memory-session-store.ts';
import { describeSessionStoreContract } from './session-store-contract.ts';

describeSessionStoreContract('memory', () => Promise.resolve({ store: new MemorySessionStore() }));
