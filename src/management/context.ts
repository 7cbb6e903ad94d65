/** What a management command runs against. Built once per process by src/main. */
import type { EventLog } from '../events/index.ts';
import type { KekService } from '../keyservers/kek.ts';
import type { KeyServerManager } from '../keyservers/manager.ts';
import type { UserRepository } from '../sso/ports/user-repository.ts';

export type Lang = 'ja' | 'en';

export interface ManagementServices {
  readonly manager: KeyServerManager;
  readonly events: EventLog;
  readonly kek: KekService;
  /** The SSO user repository (the embedded store until the LDAP adapter of issue 6). */
  readonly users: UserRepository;
}

export interface CommandContext {
  readonly services: ManagementServices;
  /** Language of texts in the output (event descriptions, meanings, user actions). */
  readonly lang: Lang;
  /** True when the caller is a REST client (which reads `data`, not the rendered text). */
  readonly rest?: boolean;
}
