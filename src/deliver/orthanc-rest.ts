import { UnavailableError } from '../errors.js';

/** The few calls of Orthanc's REST API the node needs, with credentials taken from the URL. */
export interface OrthancRest {
  /** Deletes the series with this SeriesInstanceUID; false when Orthanc does not hold it. */
  deleteSeries(seriesInstanceUid: string): Promise<boolean>;
}

export function orthancRest(baseUrl: string, timeoutMs = 10_000): OrthancRest {
  const url = new URL(baseUrl);
  const headers: Record<string, string> = {};
  if (url.username) {
    headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const root = url.toString().replace(/\/$/, '');
  const call = async (method: string, route: string, body?: string): Promise<Response> => {
    try {
      return await fetch(`${root}${route}`, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new UnavailableError(`Orthanc REST API at ${root} unreachable: ${(error as Error).message}`, error);
    }
  };
  return {
    async deleteSeries(seriesInstanceUid) {
      const lookup = await call('POST', '/tools/lookup', seriesInstanceUid);
      if (!lookup.ok) throw new UnavailableError(`Orthanc ${root}: /tools/lookup answered ${lookup.status}`);
      const found = ((await lookup.json()) as { ID: string; Type: string }[]).filter((entry) => entry.Type === 'Series');
      for (const series of found) {
        const deleted = await call('DELETE', `/series/${encodeURIComponent(series.ID)}`);
        if (!deleted.ok && deleted.status !== 404) throw new UnavailableError(`Orthanc ${root}: deleting series ${series.ID} answered ${deleted.status}`);
      }
      return found.length > 0;
    },
  };
}
