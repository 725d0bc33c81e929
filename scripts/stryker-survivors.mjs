// A StrykerJS reporter for `npm run mutate`: appends each mutant that survives (or has no covering
// test) to reports/mutation/<selection>.survivors.txt as soon as it is tested, one line each (file:line:column,
// mutator, replacement), so work on the survivors can start before a long run ends.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { commonTokens, declareClassPlugin, PluginKind } from '@stryker-mutator/api/plugin';

class SurvivorsReporter {
  static inject = [commonTokens.options];
  constructor(options) {
    this.file = options.jsonReporter.fileName.replace(/\.json$/, '') + '.survivors.txt';
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, '');
  }
  onMutantTested(m) {
    if (m.status !== 'Survived' && m.status !== 'NoCoverage') return;
    const where = `${m.fileName}:${m.location.start.line}:${m.location.start.column + 1}`;
    appendFileSync(this.file, `${m.status} ${where} ${m.mutatorName}: ${JSON.stringify(m.replacement ?? '')}\n`);
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'survivors', SurvivorsReporter)];
