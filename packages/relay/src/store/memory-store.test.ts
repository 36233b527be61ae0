import { describeMailboxStore } from './mailbox-store.suite.js';
import { createMemoryStore } from './memory-store.js';

describeMailboxStore('memory', createMemoryStore);
