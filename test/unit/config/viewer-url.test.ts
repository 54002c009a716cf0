import { parseConfig } from '../../../src/config/load-config.js';
import { expandViewerUrl } from '../../../src/config/viewer-url.js';

const pacs = { aeTitle: 'ORTHANC', host: '127.0.0.1', port: 4242, orthancUrl: 'http://127.0.0.1:8042' };

describe("a destination's viewer URL", () => {
  it('fills the study and series UIDs into the template', () => {
    const template = 'http://127.0.0.1:8042/stone-webviewer/index.html?study={StudyInstanceUID}&series={SeriesInstanceUID}';
    const config = parseConfig({ destinations: { pacs: { ...pacs, viewerUrl: template } } });
    expect(expandViewerUrl(config.destinations.pacs.viewerUrl!, { StudyInstanceUID: '1.2.3', SeriesInstanceUID: '2.25.9' })).toBe(
      'http://127.0.0.1:8042/stone-webviewer/index.html?study=1.2.3&series=2.25.9',
    );
  });

  it('refuses an unknown placeholder or a template that is no http(s) URL, naming the key path', () => {
    expect(() => parseConfig({ destinations: { pacs: { ...pacs, viewerUrl: 'http://viewer/?series={SeriesUID}' } } })).toThrow(
      /destinations\.pacs\.viewerUrl: unknown placeholder \{SeriesUID\}/,
    );
    expect(() => parseConfig({ destinations: { pacs: { ...pacs, viewerUrl: 'javascript:alert({StudyInstanceUID})' } } })).toThrow(
      /destinations\.pacs\.viewerUrl: expected an http or https URL/,
    );
  });
});
