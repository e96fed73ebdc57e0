// Every page, script and style of gateways/web is served: a module missing from WEB_FILES answers 404
// and takes the whole page down with it (an ES module import that fails stops the importing script).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WEB_FILES, WEB_ROOT } from './static';

const servedFiles = (dir: string, prefix = ''): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? servedFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`)
        : /\.(js|css|html|svg)$/.test(entry.name)
          ? [`${prefix}${entry.name}`]
          : [],
    );

describe('the web UI files', () => {
  it('are all served', () => {
    const served = new Set(Object.values(WEB_FILES));
    expect(servedFiles(WEB_ROOT).filter((file) => !served.has(file))).toEqual([]);
  });
});
