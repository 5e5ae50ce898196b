import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Library from 'aws-local-stepfunctions';

/**
 * aws-local-stepfunctions 3.0.0, with one defect of its intrinsic functions corrected. The library strips every
 * backslash from the result of every intrinsic function, meaning to undo the escapes of a template literal
 * (`\'`, `\{`, `\}`, `\\`); but values read from paths lose theirs too, so `States.Format` over a Lambda
 * error's Cause (JSON whose messages escape their quotes) returns text that is no longer JSON. Step Functions
 * undoes those escapes in the template only, and inserts a path's value as it is: so does this copy, loaded
 * from the library's own text with its States.Format reading the template escape by escape and without the
 * stripping. (No other intrinsic function of our definitions takes an escaped literal.) A library whose text no
 * longer has those lines fails loudly.
 */
function loadCorrected(): typeof Library {
  const requireHere = createRequire(__filename);
  const file = requireHere.resolve('aws-local-stepfunctions');
  const corrections: Array<[string, string]> = [
    ['    if (typeof result === "string") {\n      result = result.replaceAll("\\\\", "");\n    }\n', ''],
    [
      '    let i = 0;\n    return templateStr.replace(/\\{\\}/g, () => placeholderValues[i++]);',
      '    let i = 0;\n    return templateStr.replace(/\\\\(.)|\\{\\}/gs, (match, escaped) => (escaped !== undefined ? escaped : String(placeholderValues[i++])));',
    ],
  ];
  let source = readFileSync(file, 'utf8');
  for (const [defect, correction] of corrections) {
    if (!source.includes(defect)) throw new Error(`aws-local-stepfunctions changed (${file}): the intrinsic-function correction no longer applies; check whether the library fixed it`);
    source = source.replace(defect, correction);
  }
  // Evaluated in this module's realm, its dependencies loaded by this module's require: under jest both are the
  // test's own, so errors and arrays the tasks hand the runner are what the runner expects them to be.
  const resolveFromLibrary = createRequire(file).resolve;
  const module = { exports: {} as typeof Library };
  const evaluate = new Function('exports', 'require', 'module', '__filename', '__dirname', source) as (...args: unknown[]) => void;
  evaluate(module.exports, (id: string) => require(resolveFromLibrary(id)), module, file, path.dirname(file));
  return module.exports;
}

export const StateMachine: typeof Library.StateMachine = loadCorrected().StateMachine;
export type StateMachine = Library.StateMachine;
