import { z } from 'zod';

/** The placeholders a destination's viewer URL may hold, filled with the derived series' UIDs. */
const PLACEHOLDERS = ['StudyInstanceUID', 'SeriesInstanceUID'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

/** The viewer URL with its placeholders filled (each UID URL-encoded). */
export function expandViewerUrl(template: string, uids: Record<Placeholder, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => ((PLACEHOLDERS as readonly string[]).includes(name) ? encodeURIComponent(uids[name as Placeholder]) : whole));
}

/**
 * Where a person sees a delivered series in the destination's viewer: an http(s) URL with
 * {StudyInstanceUID} and {SeriesInstanceUID} placeholders, e.g. Orthanc's Stone Web Viewer
 * `http://pacs:8042/stone-webviewer/index.html?study={StudyInstanceUID}&series={SeriesInstanceUID}`.
 */
export const viewerUrlSchema = z
  .string()
  .superRefine((template, context) => {
    const unknown = [...template.matchAll(/\{(\w*)\}/g)].map(([, name]) => name).filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
    if (unknown.length > 0) {
      context.addIssue({ code: 'custom', message: `unknown placeholder {${unknown[0]}}: use ${PLACEHOLDERS.map((name) => `{${name}}`).join(' or ')}` });
      return;
    }
    const example = expandViewerUrl(template, { StudyInstanceUID: '1.2.3', SeriesInstanceUID: '1.2.3.4' });
    if (!URL.canParse(example) || !/^https?:$/.test(new URL(example).protocol)) {
      context.addIssue({ code: 'custom', message: 'expected an http or https URL (with {StudyInstanceUID} and {SeriesInstanceUID} where the UIDs go)' });
    }
  });
