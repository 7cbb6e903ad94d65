/**
 * The ServiceIdStore contract (src/sso/ports/service-id-store.ts), one suite run against every
 * adapter: empty at first, every field kept, `put` a compare-and-set on the generation (first
 * value only into an empty store, a new value only over the expected generation), concurrent
 * puts over the same generation store exactly one, invalid values refused.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ServiceIdStore, WrappedServiceId } from '../../../src/sso/ports/service-id-store.ts';

export interface ServiceIdStoreSubject {
  readonly store: ServiceIdStore;
  /** A second handle on the same stored value (another connection, process or node). */
  readonly other: ServiceIdStore;
  close?(): Promise<void> | void;
}

export const wrappedValue = (generation: number): WrappedServiceId => ({
  wrapped: new Uint8Array(randomBytes(60)),
  kcv: randomBytes(3).toString('hex'),
  createdAt: new Date(Date.UTC(2030, 0, 1, 0, 0, generation, 123)),
  generation,
});

async function withStore(
  factory: () => Promise<ServiceIdStoreSubject>,
  body: (s: ServiceIdStoreSubject) => Promise<void>,
): Promise<void> {
  const s = await factory();
  try {
    await body(s);
  } finally {
    await s.close?.();
  }
}

/** Registers the contract suite for one adapter. */
export function describeServiceIdStoreContract(
  name: string,
  factory: () => Promise<ServiceIdStoreSubject>,
): void {
  void describe(`ServiceIdStore contract: ${name}`, () => {
    void it('is empty at first', () =>
      withStore(factory, async ({ store }) => {
        assert.equal(await store.get(), undefined);
      }));

    void it('keeps every field; the other handle sees the same value', () =>
      withStore(factory, async ({ store, other }) => {
        const one = wrappedValue(1);
        assert.equal(await store.put(one, undefined), true);
        assert.deepEqual(await store.get(), one);
        assert.deepEqual(await other.get(), one);
        const two = wrappedValue(2);
        assert.equal(await other.put(two, 1), true);
        assert.deepEqual(await store.get(), two);
      }));

    void it('put is a compare-and-set on the generation', () =>
      withStore(factory, async ({ store }) => {
        const one = wrappedValue(1);
        assert.equal(await store.put(wrappedValue(1), 1), false, 'nothing stored, 1 expected');
        assert.equal(await store.get(), undefined);
        assert.equal(await store.put(one, undefined), true);
        assert.equal(await store.put(wrappedValue(1), undefined), false, 'a value is there');
        assert.equal(await store.put(wrappedValue(3), 2), false, 'generation 1 is stored');
        assert.deepEqual(await store.get(), one);
        const rewrapped = { ...wrappedValue(1), createdAt: one.createdAt };
        assert.equal(await store.put(rewrapped, 1), true, 'a re-wrap expects its own generation');
        assert.deepEqual(await store.get(), rewrapped);
      }));

    void it('of concurrent puts over one generation, through two handles, exactly one is stored', () =>
      withStore(factory, async ({ store, other }) => {
        await store.put(wrappedValue(1), undefined);
        const candidates = Array.from({ length: 10 }, () => wrappedValue(2));
        const results = await Promise.all(
          candidates.map((w, i) => (i % 2 === 0 ? store : other).put(w, 1)),
        );
        assert.equal(results.filter(Boolean).length, 1);
        assert.deepEqual(await store.get(), candidates[results.indexOf(true)]);
      }));

    void it('of concurrent first puts into an empty store, exactly one is stored', () =>
      withStore(factory, async ({ store, other }) => {
        const candidates = Array.from({ length: 10 }, () => wrappedValue(1));
        const results = await Promise.all(
          candidates.map((w, i) => (i % 2 === 0 ? store : other).put(w, undefined)),
        );
        assert.equal(results.filter(Boolean).length, 1);
        assert.deepEqual(await other.get(), candidates[results.indexOf(true)]);
      }));

    void it('refuses an invalid generation or date, storing nothing', () =>
      withStore(factory, async ({ store }) => {
        await assert.rejects(
          store.put({ ...wrappedValue(1), generation: 0 }, undefined),
          RangeError,
        );
        await assert.rejects(
          store.put({ ...wrappedValue(1), generation: 1.5 }, undefined),
          RangeError,
        );
        await assert.rejects(
          store.put({ ...wrappedValue(1), createdAt: new Date(Number.NaN) }, undefined),
          RangeError,
        );
        assert.equal(await store.get(), undefined);
      }));
  });
}
