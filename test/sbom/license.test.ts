import { uniqueIds } from '../../lib/sbom/ids';
import { combinedSpdxExpression, normalizeSpdxExpression } from '../../lib/sbom/license';

describe('normalizeSpdxExpression', () => {
  it.each([
    ['MIT', 'MIT'],
    ['mit', 'MIT'],
    ['mit or apache-2.0', 'MIT OR Apache-2.0'],
    ['(MIT OR Apache-2.0) AND GPL-2.0-only WITH Classpath-exception-2.0', '(MIT OR Apache-2.0) AND GPL-2.0-only WITH Classpath-exception-2.0'],
    ['GPL-2.0+', 'GPL-2.0+'],
    ['LGPL-2.1-only+', 'LGPL-2.1-only+'],
    ['GPL-2.0-with-classpath-exception', 'GPL-2.0-with-classpath-exception'],
  ])('accepts %j as %j', (text, expected) => {
    expect(normalizeSpdxExpression(text)).toBe(expected);
  });

  it.each([
    'GPL-2+',
    'GPL-1+ or Artistic',
    'ASL 2.0',
    'MIT AND',
    '(MIT',
    'MIT)',
    '',
    'Classpath-exception-2.0',
    'MIT WITH Apache-2.0',
    '(MIT OR ISC) WITH LLVM-exception',
    'MIT Or ISC',
  ])('rejects %j', (text) => {
    expect(normalizeSpdxExpression(text)).toBeUndefined();
  });

  it('accepts licence references only when asked to', () => {
    expect(normalizeSpdxExpression('LicenseRef-Acme AND MIT')).toBeUndefined();
    expect(normalizeSpdxExpression('DocumentRef-x:LicenseRef-Acme AND MIT', { allowRefs: true })).toBe('DocumentRef-x:LicenseRef-Acme AND MIT');
  });
});

describe('combinedSpdxExpression', () => {
  it('ANDs distinct licences, parenthesising compound ones, and gives up on any non-expression', () => {
    expect(combinedSpdxExpression(['MIT', ' Apache-2.0 OR MIT', 'MIT'])).toBe('MIT AND (Apache-2.0 OR MIT)');
    expect(combinedSpdxExpression(['Zlib'])).toBe('Zlib');
    expect(combinedSpdxExpression([])).toBeUndefined();
    expect(combinedSpdxExpression(['MIT', 'public-domain'])).toBeUndefined();
  });
});

describe('uniqueIds', () => {
  it('keeps first occurrences and suffixes repeats past ids that are taken', () => {
    expect(uniqueIds(['a', 'a', 'a-2', 'b', 'a'], '-')).toEqual(['a', 'a-3', 'a-2', 'b', 'a-4']);
    expect(uniqueIds(['root', 'x'], '#', ['root'])).toEqual(['root#2', 'x']);
  });
});
