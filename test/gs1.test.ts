import assert from 'node:assert/strict';
import { checkGtin, gs1CheckDigit, serialProblem } from '../src/api';

describe('GS1 rules', () => {
  describe('GTIN check digit', () => {
    it('computes the GS1 example 1931234512345 -> 9', () => {
      assert.equal(gs1CheckDigit('1931234512345'), 9);
    });

    it('says the vendor sample 01234567891234 should end in 1', () => {
      assert.deepEqual(checkGtin('01234567891234', true).problem, { reason: 'check-digit', expected: 1, found: 4 });
      assert.equal(checkGtin('01234567891231', true).problem, undefined);
    });

    it('accepts a wrong check digit when verification is off', () => {
      assert.deepEqual(checkGtin('01234567891234', false), { gtin14: '01234567891234' });
    });

    it('pads GTIN-8, -12 and -13 to 14 digits, keeping the check digit valid', () => {
      // GTIN-8 96385074, GTIN-12 036000291452, GTIN-13 4006381333931
      assert.deepEqual(checkGtin('96385074', true), { gtin14: '00000096385074' });
      assert.deepEqual(checkGtin('036000291452', true), { gtin14: '00036000291452' });
      assert.deepEqual(checkGtin('4006381333931', true), { gtin14: '04006381333931' });
    });

    it('refuses other lengths and non-digits', () => {
      assert.deepEqual(checkGtin('1234567', true).problem, { reason: 'length', length: 7 });
      assert.deepEqual(checkGtin('123456789012345', true).problem, { reason: 'length', length: 15 });
      assert.deepEqual(checkGtin('0123456789123A', true).problem, { reason: 'not-digits' });
      assert.deepEqual(checkGtin('０１２３４５６７', true).problem, { reason: 'not-digits' });
    });
  });

  describe('serials, AI (21)', () => {
    it('accepts 1 to 20 characters of character set 82', () => {
      for (const s of ['A', 'DDGHG6NTP162PDWXEEAF', `!"%&'()*+,-./:;<=>?_`, 'abcXYZ019']) {
        assert.equal(serialProblem(s), undefined, s);
      }
    });

    it('refuses characters outside set 82, naming the first', () => {
      assert.match(serialProblem('AB#1')!, /"#" at position 3/);
      assert.match(serialProblem("A B")!, /U\+0020 at position 2/);
      for (const s of ['A$', 'A@', 'A[', 'A]', 'A{', 'A\\', 'A^', 'A`', 'A|', 'A~']) assert.ok(serialProblem(s), s);
      assert.match(serialProblem('ÄBC')!, /U\+00C4 at position 1/);
      assert.match(serialProblem('A\tB')!, /U\+0009/);
    });

    it('refuses more than 20 characters', () => {
      assert.equal(serialProblem('A'.repeat(20)), undefined);
      assert.match(serialProblem('A'.repeat(21))!, /21 characters/);
    });
  });
});
