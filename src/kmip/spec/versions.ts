/** The KMIP protocol versions whose tags and enumerations are tabulated in this folder. */
export const KMIP_VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4', '2.0'] as const;

export type KmipVersionLabel = (typeof KMIP_VERSIONS)[number];
