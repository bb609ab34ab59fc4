import type { Osv } from '../../lib/vulndb/osv';
import { packageAdvisories } from '../../lib/vulndb/package-advisories';

describe('packageAdvisories', () => {
  const entry = (specific: Record<string, unknown>) => ({
    package: { ecosystem: 'Red Hat:9', name: 'kernel' },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
    ecosystem_specific: specific,
  });
  const osv = (specific: Record<string, unknown>): Osv => ({ id: 'REDHAT-CVE-2024-0001', modified: '2024-01-01T00:00:00Z', affected: [entry(specific)] });
  const lookup = (record: Osv) => packageAdvisories(record).get('Red Hat:9|kernel')?.affected?.[0].ecosystem_specific;

  it('keeps a small ecosystem_specific whole', () => {
    const specific = { severity: 'Important', fix_state: 'none_available', cpes: ['cpe:/o:redhat:enterprise_linux:9'] };
    expect(lookup(osv(specific))).toEqual(specific);
  });

  it('keeps what matching and ratings read of a large one: module stream, products, extended stream, severity', () => {
    const cpes = Array.from({ length: 12 }, (_, minor) => `cpe:/a:redhat:rhel_eus:9.${minor}::appstream`);
    const specific = { severity: 'Low', rpm_module: 'nodejs:18', cpes, extended_stream: true, fix_state_details: 'x'.repeat(200) };
    expect(lookup(osv(specific))).toEqual({ severity: 'Low', rpm_module: 'nodejs:18', cpes, extended_stream: true });
    expect(lookup(osv({ notes: 'y'.repeat(600) }))).toBeUndefined();
  });
});
