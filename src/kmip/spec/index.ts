// KMIP 1.0–2.0 tags, enumerations and bit masks (data generated from PyKMIP 0.10), and lookups.

export * from './versions.ts';
export * from './tags.ts';
export * from './enumerations.ts';
export * from './masks.ts';
export * from './lookup.ts';
