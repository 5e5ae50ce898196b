import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { copyleftPackages, declaredLicence, LicenceExpressionError, permitsNonCopyleftUse } from '../../../scripts/check-licences';

describe('the licence check', () => {
  it.each([
    ['MIT', true],
    ['Apache-2.0', true],
    ['GPL-3.0', false],
    ['AGPL-3.0-only', false],
    ['LGPL-2.1-or-later', false],
    ['SSPL-1.0', false],
    ['(MIT OR GPL-3.0)', true],
    ['(GPL-2.0 OR LGPL-3.0)', false],
    ['MIT AND GPL-3.0', false],
    ['(MIT AND BSD-3-Clause) OR AGPL-3.0', true],
    ['MIT AND (Apache-2.0 OR GPL-2.0)', true],
    ['GPL-2.0 WITH Classpath-exception-2.0', false],
    ['Apache-2.0 WITH LLVM-exception', true],
    ['SEE LICENSE IN LICENSE.md', true],
  ])('judges %s as %s', (expression, acceptable) => {
    expect(permitsNonCopyleftUse(expression)).toBe(acceptable);
  });

  it('refuses an expression it cannot read rather than passing it', () => {
    expect(() => permitsNonCopyleftUse('(MIT OR')).toThrow(LicenceExpressionError);
    expect(() => permitsNonCopyleftUse('MIT GPL-3.0')).toThrow(LicenceExpressionError);
  });

  it('reads the legacy licence fields as a choice', () => {
    expect(declaredLicence({ license: { type: 'MIT' } })).toBe('MIT');
    expect(declaredLicence({ licenses: [{ type: 'GPL-2.0' }, 'MIT'] })).toBe('(GPL-2.0) OR (MIT)');
    expect(declaredLicence({})).toBeUndefined();
  });

  it('names every copyleft package installed, scoped and nested ones included', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `licences-${process.pid}-`));
    const install = (relative: string, packageJson: object) => {
      fs.mkdirSync(path.join(root, relative), { recursive: true });
      fs.writeFileSync(path.join(root, relative, 'package.json'), JSON.stringify(packageJson));
    };
    try {
      install('node_modules/fine', { name: 'fine', version: '1.0.0', license: 'MIT' });
      install('node_modules/fine/node_modules/nested-gpl', { name: 'nested-gpl', version: '2.0.0', license: 'GPL-3.0' });
      install('node_modules/@scope/agpl', { name: '@scope/agpl', version: '0.1.0', license: 'AGPL-3.0' });
      install('node_modules/dual', { name: 'dual', version: '1.0.0', license: '(MIT OR GPL-3.0)' });
      const found = copyleftPackages(path.join(root, 'node_modules'));
      expect(found.map(({ name, licence }) => `${name} ${licence}`).sort()).toEqual(['@scope/agpl AGPL-3.0', 'nested-gpl GPL-3.0']);
      expect(found.find(({ name }) => name === 'nested-gpl')?.path).toBe(path.join(root, 'node_modules/fine/node_modules/nested-gpl'));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
