import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { SHARED_DIR } from '../support/shared-fixtures';

const SCHEMAS_DIR = join(SHARED_DIR, 'schemas');
const CYCLONEDX_BASE = 'http://cyclonedx.org/schema/';

function schema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, file), 'utf8')) as Record<string, unknown>;
}

export interface Validators {
  cyclonedx: ValidateFunction;
  spdx: ValidateFunction;
}

/** Compiles the official CycloneDX 1.6 (draft-07) and SPDX 2.3 (draft 2019-09) schemas from ../shared/schemas. */
export function loadValidators(): Validators {
  const bom = schema('bom-1.6.SNAPSHOT.schema.json');
  // bom-1.6 $refs its companions by file name, resolved against its own $id; their $ids name them without SNAPSHOT.
  const companions = Object.fromEntries(
    ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json'].map((file) => [`${CYCLONEDX_BASE}${file}`, schema(file)]),
  );
  const draft07 = new Ajv({ strict: false, allErrors: true, schemas: companions });
  addFormats(draft07);
  // ajv-formats has no IRI or IDN formats; check what can be checked without a library for them.
  draft07.addFormat('iri-reference', (value: string) => !/\s/.test(value));
  draft07.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/);

  const draft2019 = new Ajv2019({ strict: false, allErrors: true });
  addFormats(draft2019);
  return { cyclonedx: draft07.compile(bom), spdx: draft2019.compile(schema('spdx-2.3.schema.json')) };
}

/** ajv's errors, readable in a failed expectation. */
export function errorsOf(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}
