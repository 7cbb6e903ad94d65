/** Errors of the certificate readers in src/pki: stable codes, messages naming what is wrong. */

/** Every code src/pki throws, with its meaning. Never reuse a retired code. */
export const PKI_ERROR_CODES = {
  PKI_CERTIFICATE_MALFORMED: 'the input is not one well-formed X.509 certificate',
} as const;

export type PkiErrorCode = keyof typeof PKI_ERROR_CODES;

/**
 * A certificate that cannot be read: garbage, truncated or trailing DER, PEM with text around
 * it, oversize input. `offset` is the byte offset in the DER where the fault was seen, when
 * there is one (as js-bson's codec errors do).
 */
export class CertificateFormatError extends Error {
  readonly code: PkiErrorCode = 'PKI_CERTIFICATE_MALFORMED';
  readonly offset: number | undefined;
  constructor(message: string, options?: { offset?: number; cause?: unknown }) {
    super(
      options?.offset === undefined ? message : `${message} (at byte ${options.offset})`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'CertificateFormatError';
    this.offset = options?.offset;
  }
}
