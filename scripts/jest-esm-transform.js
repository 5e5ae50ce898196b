// Jest runs the TypeScript as CommonJS and cannot load ES-module-only packages (@vlasky/zongji, the binlog
// reader); Node and tsx can. This transform turns such a package's files into CommonJS for Jest only.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { loader: 'js', format: 'cjs', target: 'node20', sourcemap: 'external', sourcefile: filename });
    return { code, map };
  },
};
