import { MemoryUserRepository } from '../../../src/sso/ports/memory-user-repository.ts';
import { describeUserRepositoryContract } from './user-repository-contract.ts';

describeUserRepositoryContract('memory', () =>
  Promise.resolve({ repo: new MemoryUserRepository() }),
);
