import { fileURLToPath } from 'node:url';

/** console/ at the package root: two levels above src/api and dist/api alike, as migrations/ is. */
export const defaultConsoleDir = fileURLToPath(new URL('../../console/', import.meta.url));
