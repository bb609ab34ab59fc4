// The application layers issue 8's scan bench asks for: ≥ 2,000 installed npm packages, and ≥ 150 MB of jars,
// nested ones included (a war's deflated WEB-INF/lib, a Spring Boot jar's stored BOOT-INF/lib).
import type { LayerSpec, TarEntrySpec } from '../test/support/image-builder';
import { mavenJar, zipOf } from '../test/support/archives';

const MiB = 1024 * 1024;

/** Class-file-like bytes: tokens of a small vocabulary, so they deflate about as well as real bytecode (2–3×). */
function classBytes(seed: number, size: number): Buffer {
  const words = Array.from({ length: 512 }, (_, i) => `java/lang/Obj${(i * 2654435761) % 99991}`);
  const out = Buffer.alloc(size);
  let state = seed >>> 0 || 1;
  let offset = 0;
  while (offset < size) {
    state = (state * 1103515245 + 12345) >>> 0;
    offset += out.write(words[state % words.length], offset);
    // Constant pools and bytecode carry as many bytes that do not repeat.
    for (let k = 0; k < 12 && offset < size; k++) {
      state = (state * 1103515245 + 12345) >>> 0;
      out[offset++] = state >>> 24;
    }
  }
  return out;
}

/** A library jar of about `bytes`, in classes of 16 KiB. */
function libraryJar(name: string, bytes: number): Promise<Buffer> {
  const classes = Array.from({ length: Math.max(1, Math.round(bytes / (16 * 1024))) }, (_, i) => ({
    name: `org/${name}/C${i}.class`,
    content: classBytes(name.length * 7919 + i, 16 * 1024),
  }));
  return mavenJar(`org.${name}`, name, '1.0.0', classes);
}

export interface AppLayers {
  layers: LayerSpec[];
  npmPackages: number;
  jarBytes: number;
}

export async function appLayers(): Promise<AppLayers> {
  // npm: 2,000 top-level packages, a nested copy at another version in every tenth.
  const npm: TarEntrySpec[] = [];
  let npmPackages = 0;
  for (let i = 0; i < 2000; i++) {
    const root = `srv/web/node_modules/pkg-${i}`;
    npm.push({ path: `${root}/package.json`, content: JSON.stringify({ name: `pkg-${i}`, version: `1.${i % 17}.${i % 5}`, license: 'MIT' }) });
    npm.push({ path: `${root}/index.js`, content: `module.exports = ${JSON.stringify({ i, text: 'x'.repeat(i % 1500) })};\n` });
    npmPackages++;
    if (i % 10 === 0) {
      npm.push({ path: `${root}/node_modules/dep-${i}/package.json`, content: JSON.stringify({ name: `dep-${i}`, version: '0.9.0' }) });
      npmPackages++;
    }
  }

  // Java: 60 plain jars of 2.2 MiB of classes, a war of 30 deflated 3.3 MiB ones, a Spring Boot jar of 30 stored ones.
  const jars: TarEntrySpec[] = [];
  for (let i = 0; i < 60; i++) jars.push({ path: `opt/app/lib/plain-${i}.jar`, content: await libraryJar(`plain${i}`, 2.2 * MiB) });
  const nested = async (prefix: string, compress: boolean) =>
    Promise.all(
      Array.from({ length: 30 }, async (_, i) => ({
        name: `${prefix}/nested-${i}.jar`,
        content: await libraryJar(`${prefix.replace(/\W/g, '')}${i}`, 3.3 * MiB),
        compress,
      })),
    );
  jars.push({ path: 'opt/tomcat/webapps/shop.war', content: await zipOf(await nested('WEB-INF/lib', true)) });
  jars.push({ path: 'opt/boot/app.jar', content: await zipOf(await nested('BOOT-INF/lib', false)) });
  const jarBytes = jars.reduce((sum, entry) => sum + (entry.content as Buffer).length, 0);

  return {
    layers: [
      { entries: npm, compression: 'gzip' },
      { entries: jars, compression: 'gzip' },
    ],
    npmPackages,
    jarBytes,
  };
}
