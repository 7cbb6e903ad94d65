/** Errors of the key-server manager: stable codes, messages for the operator. */

export const KEYSERVER_ERROR_CODES = {
  KEYSERVER_LIMIT: 'four key servers are defined already',
  KEYSERVER_NOT_FOUND: 'no key server has that id or name',
  KEYSERVER_NAME_IN_USE: 'another key server has that name',
  KEYSERVER_PRIMARY_EXISTS: 'another key server is the primary',
  KEYSERVER_NO_PRIMARY: 'no key server is the primary',
  KEYSERVER_PRIMARY_IN_USE: 'the primary holds the key-encryption key and cannot be removed now',
  KEYSERVER_TYPE_NOT_ENABLED: 'no key-server type is enabled',
  KEYSERVER_TYPE_CONFLICT: 'another key-server type is enabled and has key servers',
  KEYSERVER_INVALID_ADDRESS: 'not an IPv4 address, IPv6 address or DNS name',
  KEYSERVER_INVALID_PORT: 'not a port number 1-65535',
  KEYSERVER_INVALID_NAME: 'not a valid object name',
  KEYSERVER_INVALID_CERTIFICATE: 'not a PEM certificate, or not valid now',
  KEYSERVER_INVALID_PARAMETER: 'a parameter is malformed or parameters conflict',
  KEYSERVER_VALIDATION_FAILED: 'the key server failed validation',
  KEYSERVER_ENCRYPTION_STATE: 'the encryption state does not allow this',
  KEYSERVER_KEK_UNAVAILABLE: 'no key server could provide the key-encryption key',
  SYSTEMCERT_INVALID: 'the certificate or key is not valid for the system certificate',
  SYSTEMCERT_NO_REQUEST: 'no certificate request is outstanding',
  KEYSERVER_CLUSTER_UNAVAILABLE:
    'the shared key-server state of the cluster cannot be reached, or the change was not shared',
  KEYSERVER_CLUSTER_BUSY: 'another node is changing the shared key-server state',
  NODE_NOT_FOUND: 'no node has that id or name',
  NODE_INVALID_ADDRESS: 'not a usable service address',
} as const;

export type KeyServerErrorCode = keyof typeof KEYSERVER_ERROR_CODES;

export class KeyServerError extends Error {
  readonly code: KeyServerErrorCode;
  constructor(code: KeyServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyServerError';
    this.code = code;
  }
}
