/** dicom-parser throws strings, or { exception, dataSet } when a data set breaks off: its message as text. */
export function dicomParserMessage(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'object' && thrown !== null && 'exception' in thrown) return dicomParserMessage(thrown.exception);
  return String(thrown);
}
