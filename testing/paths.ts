// Where tests find the project and the shared fixtures (../shared beside the repository).
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CORPUS_DIR = resolve(REPO_ROOT, '../shared/corpus/lvs.cf');
