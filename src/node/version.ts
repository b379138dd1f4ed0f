import { readFileSync } from 'node:fs';

/** The installed gendice version, read from package.json (three levels above both src/node/ and dist/node/ files). */
export const version: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
