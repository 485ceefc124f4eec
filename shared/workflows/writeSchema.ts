// Regenerates schemas/workflow.schema.json from workflowSchema.ts: `npx tsx shared/workflows/writeSchema.ts`.
// test/workflows/schema.test.ts fails when the published file is out of date.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildWorkflowSchema } from './workflowSchema';

/** The file's exact text. */
export const schemaText = (): string => `${JSON.stringify(buildWorkflowSchema(), null, 2)}\n`;
export const SCHEMA_PATH = join(__dirname, '..', '..', 'schemas', 'workflow.schema.json');

if (require.main === module) {
  writeFileSync(SCHEMA_PATH, schemaText());
  console.log(`wrote ${SCHEMA_PATH}`);
}
