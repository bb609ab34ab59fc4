import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyrightLicenses } from '../../lib/analyzers/deb822';
import { analyzeCopyright, dpkgCopyrightAnalyzer, MAX_COPYRIGHT_BYTES } from '../../lib/analyzers/dpkg';
import type { AnalysisResult } from '../../lib/analyzers/types';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';

const DATA = join(__dirname, 'data/dpkg-copyright');

/** Streams the bytes through the analyser in chunks of `chunkSize`, as the layer reader would. */
function streamed(path: string, content: Buffer, chunkSize = 1000): AnalysisResult {
  expect(dpkgCopyrightAnalyzer.wantsStream(path, 0o644, content.length)).toBe(true);
  const analysis = dpkgCopyrightAnalyzer.openStream(path, 0o644, content.length);
  for (let at = 0; at < content.length; at += chunkSize) {
    if (!analysis.write(content.subarray(at, at + chunkSize))) break;
  }
  const result = analysis.end();
  // This analyser answers at once; only archive analysers take the thread pool's time.
  if (result instanceof Promise) throw new Error('expected the analysis at once');
  return result;
}

const license = (owner: string, text: string): AnalysisResult => ({ evidence: [{ kind: 'license', manager: 'dpkg', owner, license: text }] });

describe('dpkg-copyright paths', () => {
  it.each([
    ['usr/share/doc/bash/copyright', true],
    ['usr/share/doc/libc6/copyright', true],
    ['usr/share/doc/libstdc++6/copyright', true],
    ['usr/share/doc/bash/changelog.Debian.gz', false],
    ['usr/share/doc/copyright', false],
    ['usr/share/doc//copyright', false],
    ['usr/share/doc/bash/examples/copyright', false],
    ['usr/local/share/doc/bash/copyright', false],
  ])('%s → %s', (path, wanted) => {
    expect(dpkgCopyrightAnalyzer.wantsStream(path, 0o644, 100)).toBe(wanted);
  });

  it('reads no whole files, so the layer budget for package databases is not spent on licences', () => {
    expect(dpkgCopyrightAnalyzer.wants('usr/share/doc/bash/copyright')).toBe(false);
    expect(dpkgCopyrightAnalyzer.maxFileSize).toBe(0);
    expect(dpkgCopyrightAnalyzer.pathHints).toEqual({ exact: [] });
  });
});

describeWithShared('copyright files of syft’s Debian images', () => {
  it('image-dpkg libpam-runtime: the distinct licences of its Files paragraphs, in order', () => {
    const path = 'usr/share/doc/libpam-runtime/copyright';
    const bytes = readFileSync(peerFixture('pkgdb/dpkg/syft-image-dpkg/rootfs', path));
    expect(copyrightLicenses(bytes.toString('utf8'))).toEqual(['GPL-2', 'LGPL-2.1']);
    expect(streamed(path, bytes)).toEqual(license('libpam-runtime', 'GPL-2 AND LGPL-2.1'));
  });

  it('image-distroless-deb libsqlite3-0', () => {
    const path = 'usr/share/doc/libsqlite3-0/copyright';
    const bytes = readFileSync(peerFixture('pkgdb/dpkg/syft-image-distroless-deb/rootfs', path));
    expect(streamed(path, bytes, 7)).toEqual(license('libsqlite3-0', 'public-domain AND GPL-2+'));
  });
});

describe('copyright files copied from syft’s tests', () => {
  const read = (name: string) => readFileSync(join(DATA, name), 'utf8');

  it('liblzma5 (DEP-5): the header License with no short name and the stand-alone licence texts add nothing', () => {
    expect(copyrightLicenses(read('liblzma5'))).toEqual([
      'PD',
      'probably-PD',
      'GPL-2+',
      'LGPL-2.1+',
      'permissive-fsf',
      'Autoconf',
      'GPL-2',
      'none',
      'permissive-nowarranty',
      'config-h',
      'noderivs',
      'PD-debian',
    ]);
  });

  it('python (free-form, License: lines inside prose): nothing', () => {
    expect(copyrightLicenses(read('python'))).toBeUndefined();
    expect(analyzeCopyright('usr/share/doc/python2.7/copyright', read('python'))).toEqual({ evidence: [] });
  });

  it('trilicense (Files paragraphs without the header that makes them DEP-5): nothing', () => {
    expect(copyrightLicenses(read('trilicense'))).toBeUndefined();
  });
});

describe('DEP-5 syntax', () => {
  const header = 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: x\n';

  it('keeps a choice or an exception whole, bracketed when joined with other licences', () => {
    const text = `${header}\nFiles: *\nCopyright: me\nLicense: GPL-2+ or Artistic\n\nFiles: lib/*\nCopyright: me\nLicense: LGPL-2.1\n\nLicense: GPL-2+\n text\n`;
    expect(analyzeCopyright('usr/share/doc/perl-x/copyright', text)).toEqual(license('perl-x', '(GPL-2+ or Artistic) AND LGPL-2.1'));
    const single = `${header}\nFiles: *\nCopyright: me\nLicense: GPL-2+ with OpenSSL exception\n`;
    expect(analyzeCopyright('usr/share/doc/y/copyright', single)).toEqual(license('y', 'GPL-2+ with OpenSSL exception'));
  });

  it('a header License names the licence of the whole package', () => {
    expect(copyrightLicenses(`${header}License: MIT\n\nFiles: *\nCopyright: me\nLicense: MIT\n`)).toEqual(['MIT']);
  });

  it('accepts the DEP-5 drafts’ headers, comments before the header, CRLF and lower-case field names', () => {
    expect(copyrightLicenses('Format-Specification: http://svn.debian.org/wsvn/dep/web/deps/dep5.mdwn?op=file&rev=135\n\nFiles: *\nLicense: BSD\n')).toEqual([
      'BSD',
    ]);
    expect(copyrightLicenses('# comment\r\n\r\nformat: http://dep.debian.net/deps/dep5\r\n\r\nfiles: *\r\nlicense: Expat\r\n')).toEqual(['Expat']);
  });

  it('a Format header after other text, or naming another format, is not DEP-5', () => {
    expect(
      copyrightLicenses(
        'This package was debianized by me.\n\nFormat: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: MIT\n',
      ),
    ).toBeUndefined();
    expect(copyrightLicenses('Format: something else\n\nFiles: *\nLicense: MIT\n')).toBeUndefined();
  });

  it('a DEP-5 file without licence names says nothing', () => {
    expect(analyzeCopyright('usr/share/doc/z/copyright', `${header}\nFiles: *\nCopyright: me\nLicense:\n long text only\n`)).toEqual({ evidence: [] });
  });
});

describe('dpkg-copyright streaming', () => {
  it(`a file over ${MAX_COPYRIGHT_BYTES / 1024 / 1024} MiB is declined at once, with a note, and does not make the scan partial`, () => {
    const size = MAX_COPYRIGHT_BYTES + 1;
    const analysis = dpkgCopyrightAnalyzer.openStream('usr/share/doc/huge/copyright', 0o644, size);
    expect(analysis.write(Buffer.alloc(1024))).toBe(false);
    expect(analysis.end()).toEqual({
      evidence: [],
      notes: [`usr/share/doc/huge/copyright: ${size} bytes is more than a copyright file's 4 MiB: its licences are not read`],
    });
  });

  it('an empty file and binary garbage give nothing, never a throw', () => {
    expect(dpkgCopyrightAnalyzer.openStream('usr/share/doc/e/copyright', 0o644, 0).end()).toEqual({ evidence: [] });
    expect(streamed('usr/share/doc/g/copyright', randomBytes(100_000))).toEqual({ evidence: [] });
  });
});

const HOST_DOC = '/usr/share/doc';
const hostCopyrights = existsSync(HOST_DOC)
  ? readdirSync(HOST_DOC).filter((name) => {
      const path = join(HOST_DOC, name, 'copyright');
      return existsSync(path) && lstatSync(path).isFile();
    })
  : [];
if (hostCopyrights.length === 0) console.warn(`SKIPPED copyright files of this machine: ${HOST_DOC}/*/copyright is absent`);

(hostCopyrights.length > 0 ? describe : describe.skip)("this machine's copyright files", () => {
  /** The licence names of a DEP-5 file as grep would find them: License lines of paragraphs that have a Files line. */
  function grepLicenses(text: string): string[] {
    const names: string[] = [];
    text
      .replace(/\r/g, '')
      .split(/\n[ \t]*\n/)
      .forEach((paragraph, index) => {
        if (index > 0 && !/^Files:/im.test(paragraph)) return;
        for (const match of paragraph.matchAll(/^License:[ \t]*(\S.*?)\s*$/gim)) if (!names.includes(match[1])) names.push(match[1]);
      });
    return names;
  }

  it('every machine-readable one names what grep finds in it; the others give nothing', () => {
    let machineReadable = 0;
    for (const name of hostCopyrights) {
      const text = readFileSync(join(HOST_DOC, name, 'copyright'), 'utf8');
      const names = copyrightLicenses(text);
      const dep5 = /^Format(-Specification)?:.*(copyright-format|dep5)/i.test(text.split('\n', 1)[0]);
      expect([name, names !== undefined]).toEqual([name, dep5]);
      if (!names) continue;
      machineReadable++;
      expect([name, names]).toEqual([name, grepLicenses(text)]);
    }
    expect(machineReadable).toBeGreaterThan(10);
  });
});
