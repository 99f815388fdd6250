import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toJson } from '../output';
import { projectJsonSchema } from './project.commands';

const PUBLISHED = join(__dirname, '../../schema/flywheel-project.schema.json');

describe('the JSON Schema of project files', () => {
  it('is published as the project schema defines it (regenerate: npx flywheel schema > libs/cli/schema/flywheel-project.schema.json)', () => {
    expect(readFileSync(PUBLISHED, 'utf8')).toBe(toJson(projectJsonSchema()));
  });

  it('closes every object, so an editor flags a misspelt field as the CLI does', () => {
    const open: string[] = [];
    const visit = (node: unknown, path: string) => {
      if (typeof node !== 'object' || node === null) return;
      const schema = node as Record<string, unknown>;
      if (schema.type === 'object' && schema.properties && schema.additionalProperties !== false) open.push(path);
      for (const [key, inner] of Object.entries(schema)) visit(inner, `${path}/${key}`);
    };
    visit(projectJsonSchema(), '#');
    expect(open).toEqual([]);
  });
});
