/**
 * npm run manifest-schema — writes models/manifest.schema.json, the model manifest's schema
 * (src/inference/manifest.ts) as JSON Schema, for training/manifest.py and for anyone writing a
 * manifest by hand. A test fails when the committed file and the TypeScript schema differ.
 */
import { writeFile } from 'node:fs/promises';
import { manifestJsonSchema } from '../src/inference/manifest.js';

await writeFile('models/manifest.schema.json', `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
console.log('wrote models/manifest.schema.json');
