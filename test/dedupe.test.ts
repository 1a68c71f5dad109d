import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UniqueStrings } from '../src/api/dedupe';
import { FUZZ_SEED } from './support/arbitraries';

function unique(list: string[]): { values: string[]; added: boolean[] } {
  const u = new UniqueStrings(list.length);
  const added = list.map((s) => u.add(s));
  return { values: u.values, added };
}

describe('de-duplication (dedupe.ts)', () => {
  it('keeps the first occurrence of each string, in order, and says which adds were new', () => {
    assert.deepEqual(unique(['b', 'a', 'b', '', 'c', '', 'a']), {
      values: ['b', 'a', '', 'c'],
      added: [true, true, false, true, true, false, false],
    });
  });

  it('holds 100,000 distinct serials, then knows each again', () => {
    const list = Array.from({ length: 100_000 }, (_, i) => `S${i}`);
    const u = new UniqueStrings(list.length * 2);
    for (const s of list) assert.equal(u.add(s), true);
    for (const s of list) assert.equal(u.add(s), false);
    assert.deepEqual(u.values, list);
  });

  it('refuses more distinct strings than its capacity, but not a repeat', () => {
    const u = new UniqueStrings(2);
    u.add('a');
    u.add('b');
    assert.equal(u.add('a'), false);
    assert.throws(() => u.add('c'), RangeError);
  });

  it('tells apart strings that differ only in a code unit beyond Latin-1, or by a lone surrogate', () => {
    assert.deepEqual(unique(['A€', 'A₭', 'A\ud800', 'A\udc00', 'A€']).values, ['A€', 'A₭', 'A\ud800', 'A\udc00']);
  });

  it('agrees with a Set on generated lists with many repeats', () => {
    const list = fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('x', 'y', 'xy', '')), { maxLength: 300 });
    fc.assert(
      fc.property(list, (l) => {
        assert.deepEqual(unique(l).values, [...new Set(l)]);
      }),
      { seed: FUZZ_SEED, numRuns: 500 },
    );
  });
});
