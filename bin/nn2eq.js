#!/usr/bin/env node
// The CLI entry: the only place that ends the process with an exit code.
// It runs the bundled CLI (scripts/build-cli.mjs, part of npm run build): a start loads a few
// chunks instead of about 80 modules. The same main() is dist/cli.js, unbundled, for the tests.
import { main } from '../dist/cli-bundle/cli.js';

// A reader that stops early (`nn2eq m.json | head`) is not an error: stop quietly, as cat does.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`nn2eq: internal error: ${e?.stack ?? e}\n`);
    process.exitCode = 70;
  },
);
