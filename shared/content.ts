// The security team's content (queries, workflows, webhook mappings), loaded and validated once per process.
// A file that does not validate stops the load with an error naming the file and field: nothing half-valid runs.
import { join } from 'node:path';
import { loadQueryLibrary, type QueryLibrary } from './queries';

export interface ContentPaths {
  contentDir: string;
}

let queries: Promise<QueryLibrary> | undefined;
let queriesDir: string | undefined;

/** Memoised per content folder; a failed load is not cached, so a fixed file is picked up on the next call. */
export function getQueryLibrary(paths: ContentPaths): Promise<QueryLibrary> {
  const dir = join(paths.contentDir, 'queries');
  if (!queries || queriesDir !== dir) {
    queriesDir = dir;
    queries = loadQueryLibrary(dir).catch((e: unknown) => {
      queries = undefined;
      throw e;
    });
  }
  return queries;
}
