// Where tests find the project and its fixtures. Everything a test reads is inside the repository.
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Real-world lvs.cf files, each with its origin and what the original parser made of it (SOURCES.md). */
export const CORPUS_DIR = resolve(REPO_ROOT, 'lvs-cf/testdata/corpus');
