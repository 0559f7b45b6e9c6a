// Mocha's configuration. Tests that read the real models in ../shared/models (or $INFERENCE_LENS_MODELS,
// as test/helpers/paths.ts resolves it) run where that folder exists, as on the project's CI; a clone of
// the repository alone skips those files, says so, and runs the rest.
const fs = require('fs');
const path = require('path');

const shared = process.env.INFERENCE_LENS_MODELS ?? path.resolve(__dirname, '..', 'shared', 'models');
const ignore = [];
if (!fs.existsSync(path.join(shared, 'reference.json'))) {
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.test.js') && fs.readFileSync(p, 'utf8').includes('SHARED_MODELS')) ignore.push(path.relative(__dirname, p));
    }
  };
  walk(path.join(__dirname, 'out', 'test'));
  if (ignore.length) {
    console.warn(`mocha: ${shared} not found: skipping ${ignore.length} test files that read the shared real models ` +
      '(see ../shared/models/README.md, or set INFERENCE_LENS_MODELS)');
  }
}

module.exports = {
  spec: ['out/test/**/*.test.js'],
  ignore,
  timeout: 30000,
  'enable-source-maps': true,
};
