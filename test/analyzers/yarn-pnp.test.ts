import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeYarnArchive, isYarnCacheArchive, yarnPnpAnalyzer } from '../../lib/analyzers/yarn-pnp';
import { mavenJar, zipOf } from '../support/archives';

const DATA = join(__dirname, 'data', 'yarn-pnp');
const archive = (name: string) => readFileSync(join(DATA, name));
const MINIMIST = 'minimist-npm-1.2.5-ced0e1f617-c143b0c199.zip';
const SCOPED = '@babel-helper-string-parser-npm-7.22.5-448ff0e489-6b0ff8af72.zip';

/** The archive streamed to the analyser in 4 KiB chunks, as a layer gives it. */
function streamed(path: string, content: Buffer) {
  const analysis = yarnPnpAnalyzer.openStream(path, 0o644, content.length);
  for (let at = 0; at < content.length; at += 4096) analysis.write(content.subarray(at, at + 4096));
  return analysis.end();
}

describe('Yarn PnP cache archives', () => {
  it('wants archives of a project cache and of the global cache, nothing else', () => {
    for (const path of [`srv/app/.yarn/cache/${MINIMIST}`, `root/.yarn/berry/cache/${SCOPED}`, '.yarn/cache/x.zip']) {
      expect([path, yarnPnpAnalyzer.wantsStream(path, 0o644, 10)]).toEqual([path, true]);
    }
    for (const path of ['srv/app/.yarn/cache/.gitignore', 'srv/app/.yarn/unplugged/x.zip', 'srv/app/cache/x.zip', 'srv/app/.yarn/cache/sub/x.zip']) {
      expect([path, isYarnCacheArchive(path)]).toEqual([path, false]);
    }
    expect(yarnPnpAnalyzer.wants(`srv/app/.yarn/cache/${MINIMIST}`)).toBe(false);
  });

  it('reads the package of real archives Yarn 4 wrote, scoped ones included, located inside the archive', () => {
    const path = `srv/app/.yarn/cache/${MINIMIST}`;
    expect(streamed(path, archive(MINIMIST))).toEqual({
      evidence: [
        {
          kind: 'packages',
          packages: [
            { ecosystem: 'npm', purlType: 'npm', name: 'minimist', version: '1.2.5', license: 'MIT', location: `${path}:node_modules/minimist/package.json` },
          ],
        },
      ],
    });
    const scoped = analyzeYarnArchive(archive(SCOPED), `root/.yarn/berry/cache/${SCOPED}`);
    expect(scoped.evidence).toEqual([
      { kind: 'packages', packages: [expect.objectContaining({ name: '@babel/helper-string-parser', version: '7.22.5', license: 'MIT' })] },
    ]);
  });

  it('reports bundled packages and skips manifests deeper inside a package', async () => {
    const zip = await zipOf([
      { name: 'node_modules/outer/package.json', content: JSON.stringify({ name: 'outer', version: '2.0.0' }) },
      { name: 'node_modules/outer/node_modules/inner/package.json', content: JSON.stringify({ name: 'inner', version: '0.1.0' }) },
      { name: 'node_modules/outer/lib/package.json', content: JSON.stringify({ type: 'module' }) },
    ]);
    const result = analyzeYarnArchive(zip, '.yarn/cache/outer-npm-2.0.0-abc-def.zip');
    expect(result.evidence).toEqual([
      {
        kind: 'packages',
        packages: [
          expect.objectContaining({ name: 'outer', version: '2.0.0', location: '.yarn/cache/outer-npm-2.0.0-abc-def.zip:node_modules/outer/package.json' }),
          expect.objectContaining({ name: 'inner', version: '0.1.0' }),
        ],
      },
    ]);
  });

  it('a damaged archive, a damaged manifest or an archive over the limit is a note, never a failure', async () => {
    const cut = archive(MINIMIST).subarray(0, 2000);
    expect(analyzeYarnArchive(cut, 'a.zip')).toEqual({ evidence: [], notes: [expect.stringMatching(/^a.zip: not a readable zip archive/)], unreadable: true });
    const broken = await zipOf([{ name: 'node_modules/x/package.json', content: '{"name": "x", ' }]);
    expect(analyzeYarnArchive(broken, 'b.zip')).toEqual({
      evidence: [],
      notes: [expect.stringMatching(/^b.zip:node_modules\/x\/package.json: not valid JSON/)],
      unreadable: true,
    });
    const huge = yarnPnpAnalyzer.openStream('c.zip', 0o644, 200 * 1024 * 1024);
    expect(huge.write(Buffer.alloc(1))).toBe(false);
    expect(huge.end()).toMatchObject({ evidence: [], unreadable: true });
    // A jar is not a package archive: nothing in it is reported.
    expect(analyzeYarnArchive(await mavenJar('org.example', 'x', '1.0'), 'd.zip')).toEqual({ evidence: [] });
  });
});
