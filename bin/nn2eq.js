#!/usr/bin/env node
// The CLI entry: the only place that ends the process with an exit code.
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`nn2eq: internal error: ${e?.stack ?? e}\n`);
    process.exitCode = 70;
  },
);
