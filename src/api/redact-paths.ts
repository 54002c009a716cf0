/** An absolute path: a slash, then at least two segments of non-space, non-quote characters. */
const ABSOLUTE_PATH = /(?<![\w.])\/(?:[^\s/'"`:;,()]+\/)+([^\s/'"`:;,()]+)/g;

/**
 * Error messages name files by their absolute paths (the spool under the data folder); an API
 * client needs the file's name, not where the node keeps its data. Keeps the last segment.
 */
export function withoutPaths(text: string | null): string | null {
  return text === null ? null : text.replace(ABSOLUTE_PATH, '$1');
}
