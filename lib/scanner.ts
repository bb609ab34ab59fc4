import packageJson from '../package.json';

/** Who scanned: the version StackRox shows as scannerVersion, the data source, and the tool SBOMs name. */
export const SCANNER = {
  version: packageJson.version,
  dataSource: { id: 'lamina', name: 'lamina' },
};

export const TOOL = { name: 'lamina', version: packageJson.version };
