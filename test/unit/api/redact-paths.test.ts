import { withoutPaths } from '../../../src/api/redact-paths.js';

describe('job errors in the API name files, not where the node keeps them (issue 9)', () => {
  it('keeps the last segment of every absolute path', () => {
    expect(withoutPaths('/srv/ctprep/var/spool/series/1.2.3/1.2.3.4.dcm: cannot read the file again (offset 12)')).toBe('1.2.3.4.dcm: cannot read the file again (offset 12)');
    expect(withoutPaths("ENOENT: no such file or directory, open '/var/lib/ctprep/spool/series/1.2/3.4.dcm'")).toBe("ENOENT: no such file or directory, open '3.4.dcm'");
  });

  it('leaves messages without paths alone', () => {
    const message = 'model sr2x@1.0.0 refuses this series: matrix 1024x1024 is not one it accepts (512x512); ratio 1/2';
    expect(withoutPaths(message)).toBe(message);
    expect(withoutPaths(null)).toBeNull();
  });
});
