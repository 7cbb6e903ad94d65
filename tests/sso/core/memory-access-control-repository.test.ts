import { MemoryAccessControlRepository } from '../../../src/sso/ports/memory-access-control-repository.ts';
import { describeAccessControlRepositoryContract } from './access-control-repository-contract.ts';

describeAccessControlRepositoryContract('memory', () =>
  Promise.resolve({ repo: new MemoryAccessControlRepository() }),
);
