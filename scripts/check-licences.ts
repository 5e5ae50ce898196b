import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Fails when any installed package is licensed only under a copyleft licence (GPL, AGPL, LGPL, SSPL): this
 * project is Apache-2.0, and those do not belong in its dependency tree. It walks node_modules (nested ones
 * too), so it judges what is installed, not what the lockfile might install.
 *
 * SPDX expressions: `OR` offers a choice, so `(MIT OR GPL-3.0)` is acceptable (we take the permissive
 * option); `AND` binds both, so `MIT AND GPL-3.0` is not; `WITH <exception>` keeps the licence's judgement
 * (a GPL with the Classpath exception is still GPL). The legacy `licenses: [...]` list reads as a choice.
 * A package that declares no licence, or points to a file (`SEE LICENSE IN ...`), is not judged here.
 */

const COPYLEFT = /^(A|L)?GPL|^SSPL/i;

export class LicenceExpressionError extends Error {
  constructor(expression: string, problem: string) {
    super(`Licence expression "${expression}": ${problem}`);
    this.name = 'LicenceExpressionError';
  }
}

/** Whether an SPDX licence expression leaves a way to use the package without a copyleft licence. */
export function permitsNonCopyleftUse(expression: string): boolean {
  if (/^SEE LICEN[CS]E IN /i.test(expression)) return true;
  const tokens = expression.match(/\(|\)|[^\s()]+/g) ?? [];
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];

  // or := and ('OR' and)*; and := term ('AND' term)*; term := '(' or ')' | id ('WITH' exception)?
  const parseOr = (): boolean => {
    let acceptable = parseAnd();
    while (peek()?.toUpperCase() === 'OR') {
      next();
      acceptable = parseAnd() || acceptable;
    }
    return acceptable;
  };
  const parseAnd = (): boolean => {
    let acceptable = parseTerm();
    while (peek()?.toUpperCase() === 'AND') {
      next();
      acceptable = parseTerm() && acceptable;
    }
    return acceptable;
  };
  const parseTerm = (): boolean => {
    const token = next();
    if (token === undefined) throw new LicenceExpressionError(expression, 'ends too early');
    if (token === '(') {
      const acceptable = parseOr();
      if (next() !== ')') throw new LicenceExpressionError(expression, 'has an unclosed parenthesis');
      return acceptable;
    }
    if (peek()?.toUpperCase() === 'WITH') {
      next();
      if (next() === undefined) throw new LicenceExpressionError(expression, 'names no exception after WITH');
    }
    return !COPYLEFT.test(token);
  };

  const acceptable = parseOr();
  if (position !== tokens.length) throw new LicenceExpressionError(expression, `unexpected "${tokens[position]}"`);
  return acceptable;
}

interface PackageJson {
  name?: string;
  version?: string;
  license?: string | { type?: string };
  licenses?: Array<string | { type?: string }>;
}

/** The package's licence as one SPDX expression, from `license` or the legacy `licenses` list. */
export function declaredLicence(packageJson: PackageJson): string | undefined {
  const typeOf = (entry: string | { type?: string } | undefined) => (typeof entry === 'string' ? entry : entry?.type);
  const single = typeOf(packageJson.license);
  if (single) return single;
  const listed = (packageJson.licenses ?? []).map(typeOf).filter((type): type is string => Boolean(type));
  return listed.length > 0 ? listed.map((type) => `(${type})`).join(' OR ') : undefined;
}

export interface CopyleftPackage {
  name: string;
  version: string;
  licence: string;
  path: string;
}

/** Every installed package under `nodeModules` (scoped and nested included) whose licence forces copyleft. */
export function copyleftPackages(nodeModules: string): CopyleftPackage[] {
  const found: CopyleftPackage[] = [];
  const visitPackage = (directory: string) => {
    const manifest = path.join(directory, 'package.json');
    if (fs.existsSync(manifest)) {
      const packageJson = JSON.parse(fs.readFileSync(manifest, 'utf8')) as PackageJson;
      const licence = declaredLicence(packageJson);
      if (licence && !permitsNonCopyleftUse(licence)) {
        found.push({ name: packageJson.name ?? path.basename(directory), version: packageJson.version ?? '?', licence, path: directory });
      }
    }
    visitNodeModules(path.join(directory, 'node_modules'));
  };
  const visitNodeModules = (directory: string) => {
    if (!fs.existsSync(directory)) return;
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const entryPath = path.join(directory, entry.name);
      if (entry.name.startsWith('@')) {
        for (const scoped of fs.readdirSync(entryPath, { withFileTypes: true })) if (scoped.isDirectory()) visitPackage(path.join(entryPath, scoped.name));
      } else {
        visitPackage(entryPath);
      }
    }
  };
  visitNodeModules(nodeModules);
  return found;
}

if (require.main === module) {
  const nodeModules = path.join(__dirname, '..', 'node_modules');
  const offending = copyleftPackages(nodeModules);
  for (const { name, version, licence, path: where } of offending) {
    console.error(`Copyleft licence in the dependency tree: ${name}@${version} (${licence}) at ${path.relative(process.cwd(), where)}`);
  }
  if (offending.length > 0) process.exit(1);
  console.log(`Licence check: no copyleft licence among the installed packages under ${path.relative(process.cwd(), nodeModules) || nodeModules}.`);
}
