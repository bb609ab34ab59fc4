import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectorFor } from '../../lib/analyzers';
import { gemFromFileName, gemspecAnalyzer, isInstalledGemspec, parseGemspec, readGemspec, rubyLiteral } from '../../lib/analyzers/gemspec';
import type { AnalysisResult, PackageRecord } from '../../lib/analyzers/types';
import { compareVersions } from '../../lib/versions';
import { describeWithShared, peerFixture } from '../support/shared-fixtures';

const HOME = 'usr/local/bundle/specifications';
const DATA = join(__dirname, 'data/gemspec');

function analyze(path: string, content: string | Buffer): AnalysisResult {
  const buffer = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return gemspecAnalyzer.analyze({ path, content: buffer, mode: 0o644, size: buffer.length });
}

const gem = (name: string, version: string, license?: string): PackageRecord =>
  license === undefined ? { ecosystem: 'RubyGems', purlType: 'gem', name, version } : { ecosystem: 'RubyGems', purlType: 'gem', name, version, license };

const found = (...packages: PackageRecord[]): AnalysisResult => ({ evidence: [{ kind: 'packages', packages }] });

describe('gemspec analyser paths', () => {
  it('wants the specifications RubyGems writes into any gem home, default gems included', () => {
    for (const path of [
      'usr/local/bundle/specifications/rack-2.2.8.gemspec',
      'usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec',
      'usr/local/lib/ruby/gems/3.2.0/specifications/nokogiri-1.15.4-x86_64-linux.gemspec',
      'app/vendor/bundle/ruby/3.2.0/specifications/rails-7.0.8.gemspec',
      'var/lib/gems/3.0.0/specifications/thor-1.2.2.gemspec',
      'opt/logstash/vendor/jruby/lib/ruby/gems/shared/specifications/default/jar-dependencies-0.4.1.gemspec',
      'specifications/x-1.gemspec',
    ]) {
      expect([path, gemspecAnalyzer.wants(path)]).toEqual([path, true]);
    }
  });

  it('leaves out gemspecs in source trees, other specification subdirectories and look-alikes', () => {
    for (const path of [
      'usr/local/bundle/gems/rack-2.2.8/rack.gemspec',
      'usr/local/bundle/bundler/gems/rails-0123456789ab/rails.gemspec',
      'app/my-gem.gemspec',
      'usr/local/bundle/specifications/sub/x-1.gemspec',
      'usr/local/bundle/default/x-1.gemspec',
      'usr/local/bundle/specifications/.gemspec',
      'usr/local/bundle/specifications/rack-2.2.8.gemspec.bak',
      'usr/local/bundle/specifications/rack-2.2.8.gem',
      'usr/local/bundle/myspecifications/rack-2.2.8.gemspec',
      'usr/local/bundle/cache/rack-2.2.8.gem',
      'app/Gemfile.lock',
    ]) {
      expect([path, gemspecAnalyzer.wants(path)]).toEqual([path, false]);
    }
    expect(isInstalledGemspec).toBe(gemspecAnalyzer.wants);
  });

  it('declares no path hints and reads specifications up to 1 MiB', () => {
    expect('pathHints' in gemspecAnalyzer).toBe(false);
    expect(gemspecAnalyzer.maxFileSize).toBe(1024 * 1024);
    expect([gemspecAnalyzer.name, gemspecAnalyzer.version]).toEqual(['gemspec', 1]);
    expect(selectorFor([gemspecAnalyzer]).limitFor(`${HOME}/rack-2.2.8.gemspec`)).toBe(1024 * 1024);
  });
});

describeWithShared('gemspecs from trivy', () => {
  const fixture = (name: string, file: string): Buffer => readFileSync(peerFixture('pkgdb/gemspec', name, file));

  it('rake: name and version with .freeze, one licence', () => {
    expect(analyze(`${HOME}/normal00.gemspec`, fixture('trivy-normal00.gemspec', 'normal00.gemspec'))).toEqual(found(gem('rake', '13.0.3', 'MIT')));
  });

  it('async: `spec` as the block variable, a trailing comment; licenses = "MIT" is Array("MIT") in Ruby', () => {
    expect(analyze(`${HOME}/normal01.gemspec`, fixture('trivy-normal01.gemspec', 'normal01.gemspec'))).toEqual(found(gem('async', '1.25.0', 'MIT')));
  });

  it('license = "…" (singular)', () => {
    expect(analyze(`${HOME}/license.gemspec`, fixture('trivy-license.gemspec', 'license.gemspec'))).toEqual(found(gem('async', '1.25.0', 'MIT')));
  });

  it('several licences are a choice, joined with OR', () => {
    expect(analyze(`${HOME}/multiple_licenses.gemspec`, fixture('trivy-multiple_licenses.gemspec', 'multiple_licenses.gemspec'))).toEqual(
      found(gem('test-unit', '3.3.7', 'Ruby OR BSDL OR PSFL')),
    );
  });
});

describe('installed specifications from real gem homes (see data/gemspec/PROVENANCE.md)', () => {
  const data = (file: string): Buffer => readFileSync(join(DATA, file));

  it('rack 1.6.13 from a bundle', () => {
    expect(analyze(`${HOME}/rack-1.6.13.gemspec`, data('rack-1.6.13.gemspec'))).toEqual(found(gem('rack', '1.6.13', 'MIT')));
  });

  it('a platform gem: the version is the gem’s, without the platform its file name carries', () => {
    const path = 'usr/local/lib/ruby/gems/3.3.0/specifications/nokogiri-1.16.7-x86_64-linux.gemspec';
    expect(analyze(path, data('nokogiri-1.16.7-x86_64-linux.gemspec'))).toEqual(found(gem('nokogiri', '1.16.7', 'MIT')));
    // Nokogiri < 1.18.3 has the libxml2 advisories of GHSA-vvfq-8hwr-qm4m: the version must order as RubyGems orders.
    expect(compareVersions('RubyGems', '1.16.7', '1.18.3')).toBeLessThan(0);
  });

  it('an old (RubyGems 1.x) specification: %q{} strings, a multi-line description, no stub line, no licence', () => {
    expect(analyze('app/vendor/bundle/ruby/1.8/specifications/nokogiri-1.5.5.gemspec', data('nokogiri-1.5.5.gemspec'))).toEqual(
      found(gem('nokogiri', '1.5.5')),
    );
  });

  it('default gems bundled with Ruby, under specifications/default', () => {
    expect(analyze('usr/lib/ruby/gems/3.3.0/specifications/default/net-http-0.4.1.gemspec', data('net-http-0.4.1.gemspec'))).toEqual(
      found(gem('net-http', '0.4.1', 'Ruby OR BSD-2-Clause')),
    );
    expect(analyze('usr/lib/ruby/gems/2.3.0/specifications/default/json-1.8.3.gemspec', data('json-1.8.3.gemspec'))).toEqual(found(gem('json', '1.8.3')));
  });

  it('the fields agree with the stub line RubyGems wrote from them', () => {
    for (const file of ['rack-1.6.13.gemspec', 'nokogiri-1.16.7-x86_64-linux.gemspec', 'net-http-0.4.1.gemspec', 'json-1.8.3.gemspec']) {
      const fields = readGemspec(data(file).toString('utf8'));
      expect([file, fields.name, fields.version]).toEqual([file, fields.stub?.name, fields.stub?.version]);
    }
  });
});

describe('file names of installed specifications', () => {
  it('the version is the first -<digit> part followed by nothing or by a platform', () => {
    const cases: Array<[string, ReturnType<typeof gemFromFileName>]> = [
      ['rack-2.2.8.gemspec', { name: 'rack', version: '2.2.8' }],
      ['nokogiri-1.15.4-x86_64-linux.gemspec', { name: 'nokogiri', version: '1.15.4', platform: 'x86_64-linux' }],
      ['nokogiri-1.19.4-aarch64-linux-gnu.gemspec', { name: 'nokogiri', version: '1.19.4', platform: 'aarch64-linux-gnu' }],
      ['nokogiri-1.6.6.2-java.gemspec', { name: 'nokogiri', version: '1.6.6.2', platform: 'java' }],
      ['nokogiri-1.13.10-x64-mingw-ucrt.gemspec', { name: 'nokogiri', version: '1.13.10', platform: 'x64-mingw-ucrt' }],
      ['ffi-1.15.3-universal-darwin-19.gemspec', { name: 'ffi', version: '1.15.3', platform: 'universal-darwin-19' }],
      ['libv8-node-18.16.0.0-x86_64-linux-musl.gemspec', { name: 'libv8-node', version: '18.16.0.0', platform: 'x86_64-linux-musl' }],
      ['google-protobuf-3.24.0-x86_64-linux.gemspec', { name: 'google-protobuf', version: '3.24.0', platform: 'x86_64-linux' }],
      ['sqlite3-1.6.3-arm64-darwin.gemspec', { name: 'sqlite3', version: '1.6.3', platform: 'arm64-darwin' }],
      ['iso-639-0.3.5.gemspec', { name: 'iso-639', version: '0.3.5' }],
      ['net-http2-0.18.5.gemspec', { name: 'net-http2', version: '0.18.5' }],
      ['rails-5-foo-1.0.gemspec', { name: 'rails-5-foo', version: '1.0' }],
      ['rack-3.0.0.beta1.gemspec', { name: 'rack', version: '3.0.0.beta1' }],
      ['bundler-2.4.19.gemspec', { name: 'bundler', version: '2.4.19' }],
      ['no_version.gemspec', undefined],
      ['-1.0.gemspec', undefined],
      ['name-.gemspec', undefined],
    ];
    for (const [file, expected] of cases) expect([file, gemFromFileName(file)]).toEqual([file, expected]);
  });
});

describe('gemspecs written for the test', () => {
  const path = `${HOME}/sample-9.9.9.gemspec`;

  it('Gem::Version.new, single quotes, %q<> and %Q() are read; other receivers than the block’s are not', () => {
    const text = [
      'Gem::Specification.new do |spec|',
      "  spec.name = 'sample'",
      '  spec.version = Gem::Version.new("1.2.3")',
      '  other.name = "not-this-one"',
      '  spec.licenses = [%q<Apache-2.0>, %Q(MIT)]',
      'end',
    ].join('\n');
    expect(analyze(path, text)).toEqual(found(gem('sample', '1.2.3', 'Apache-2.0 OR MIT')));
  });

  it('assignments count in order, the last winning as in Ruby; license= after licenses= replaces the list', () => {
    const text = [
      'Gem::Specification.new do |s|',
      '  s.name = "a"',
      '  s.name = "b"',
      '  s.version = "1"',
      '  s.licenses = ["MIT", "GPL-2.0-only"]',
      '  s.license = "ISC"',
      'end',
    ].join('\n');
    expect(analyze(path, text)).toEqual(found(gem('b', '1', 'ISC')));
  });

  it('a computed value is never evaluated: the field is unknown, and the stub line or the file name answers', () => {
    const withStub = [
      '# -*- encoding: utf-8 -*-',
      '# stub: sample 2.0.0 ruby lib',
      '',
      'Gem::Specification.new do |s|',
      '  s.name = "sample"',
      '  s.version = Sample::VERSION',
      'end',
    ].join('\n');
    expect(analyze(path, withStub)).toEqual(found(gem('sample', '2.0.0')));
    const noStub = ['Gem::Specification.new do |s|', '  s.name = "sam" + "ple"', '  s.version = "#{major}.0"', '  s.licenses = [license]', 'end'].join('\n');
    expect(analyze(path, noStub)).toEqual(found(gem('sample', '9.9.9')));
    // A later computed assignment hides an earlier literal one, as it would in Ruby.
    expect(readGemspec('s.version = "1.0"\ns.version = VERSION\n').version).toBeUndefined();
  });

  it('a specification of stub lines only (as Bundler test homes write them) is read from its stub', () => {
    const text = '# -*- encoding: utf-8 -*-\n# stub: nokogiri 1.19.4 aarch64-linux-gnu lib\n\n';
    expect(analyze(`${HOME}/nokogiri-1.19.4-aarch64-linux-gnu.gemspec`, text)).toEqual(found(gem('nokogiri', '1.19.4')));
  });

  it('an empty specification falls back to its file name, platform left out of the version', () => {
    expect(analyze(`${HOME}/nokogiri-1.15.4-x86_64-linux.gemspec`, '')).toEqual(found(gem('nokogiri', '1.15.4')));
  });

  it('CRLF line ends and escapes in double-quoted strings', () => {
    const text = 'Gem::Specification.new do |s|\r\n  s.name = "caf\\u00e9"\r\n  s.version = "1.0"\r\n  s.license = "MIT\\t".freeze\r\nend\r\n';
    expect(analyze(path, text)).toEqual(found(gem('café', '1.0', 'MIT')));
  });

  it('nothing to go on: a note, and the file is unreadable', () => {
    expect(analyze(`${HOME}/weird.gemspec`, 'not ruby at all')).toEqual({
      evidence: [],
      notes: [`${HOME}/weird.gemspec: no gem name in its fields, stub line or file name`],
      unreadable: true,
    });
    expect(analyze(`${HOME}/weird.gemspec`, 's.name = "weird"')).toEqual({
      evidence: [],
      notes: [`${HOME}/weird.gemspec: weird has no version in its fields, stub line or file name`],
      unreadable: true,
    });
    expect(parseGemspec('', '-1.gemspec')).toEqual({ problem: 'no gem name in its fields, stub line or file name' });
  });

  it('random bytes never throw', () => {
    for (let i = 0; i < 20; i++) {
      expect(analyze(`${HOME}/random-1.0.gemspec`, randomBytes(1024))).toEqual(found(gem('random', '1.0')));
    }
  });
});

describe('Ruby literals', () => {
  it('strings, frozen strings, arrays and Gem::Version/Gem::Platform wrappers', () => {
    expect(rubyLiteral(' "a".freeze')).toBe('a');
    expect(rubyLiteral(" 'it''s'")).toBeUndefined();
    expect(rubyLiteral(" 'it\\'s'")).toBe("it's");
    expect(rubyLiteral(' %q{a{b}c}')).toBe('a{b}c');
    expect(rubyLiteral(' %{x}')).toBe('x');
    expect(rubyLiteral(' %q|pipe|')).toBe('pipe');
    expect(rubyLiteral(' ["a".freeze, \'b\' , %q<c>]')).toEqual(['a', 'b', 'c']);
    expect(rubyLiteral(' ["a", ]')).toEqual(['a']);
    expect(rubyLiteral(' []')).toEqual([]);
    expect(rubyLiteral(' Gem::Version.new("1.0")')).toBe('1.0');
    expect(rubyLiteral(' Gem::Platform.new("x86_64-linux")')).toBe('x86_64-linux');
    expect(rubyLiteral(' "\\u{92f8}\\u92F8"')).toBe('鋸鋸');
    expect(rubyLiteral(' "a" # comment')).toBe('a');
    expect(rubyLiteral(' "1.0" if s.respond_to? :version')).toBe('1.0');
  });

  it('anything computed is undefined', () => {
    for (const source of [
      ' VERSION',
      ' "a" + "b"',
      ' "a".upcase',
      ' "#{x}"',
      ' "#@x"',
      ' ["a", b]',
      ' "unterminated',
      ' %w[a b]',
      ' Gem::Version.new(VERSION)',
      ' nil',
      '',
    ]) {
      expect([source, rubyLiteral(source)]).toEqual([source, undefined]);
    }
  });
});
