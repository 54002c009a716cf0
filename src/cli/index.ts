/**
 * cli/ — the ctprep command: parses arguments and calls a stage (node/, jobs/ for offline
 * processing, dicom/ for sending, bulk/ for a PACS query). No logic of its own.
 */
export {};
