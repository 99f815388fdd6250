import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject, MAX_PROJECT_FILE_BYTES, parseProjectText, ProjectError } from './project-file';

const problemsOf = (text: string) => {
  const parsed = parseProjectText('p.yaml', text);
  return 'problems' in parsed ? parsed.problems : [];
};

describe('project files: every problem names its file, line, column and field', () => {
  it('reports YAML that does not parse at the offending place', () => {
    expect(problemsOf('datasets:\n  - name: a\n    name: b\n')).toEqual(['p.yaml:3:5: Map keys must be unique']);
    expect(problemsOf('datasets: [\n')[0]).toMatch(/^p\.yaml:2:1: /);
  });

  it('reports a wrong value, an unknown field and a missing one where they are written', () => {
    const text = [
      'datasets:',
      '  - name: churn',
      '    contract:',
      '      columns:',
      '        - { name: id, type: strng }',
      'featureViews:',
      '  - name: v',
      '    dataset: churn',
      '    entityKey: id',
      '    eventTimeColumn: t',
      '    features: [{ name: x, column: id, type: string }]',
      '    colour: red',
      'models:',
      '  - name: Churn',
      '    retraining: { enabled: true }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      'p.yaml:5:29: datasets[0].contract.columns[0].type: Invalid option: expected one of "double"|"integer"|"string"|"boolean"|"timestamp"',
      'p.yaml:12:5: featureViews[0]: unknown field "colour"',
      'p.yaml:14:11: models[0].name: a name is lowercase letters, digits, - and _, starting with a letter, at most 63 characters',
      'p.yaml:15:28: models[0].retraining.enabled: retraining.enabled needs the model’s training spec (training:)',
    ]);
    expect(problemsOf('deployments:\n  - { model: churn }\n')).toEqual([
      'p.yaml:2:5: deployments[0].name: Invalid input: expected string, received undefined',
    ]);
  });

  it('reads an empty file as an empty project, and refuses a document that is not one', () => {
    expect(problemsOf('')).toEqual([]);
    expect(problemsOf('- a\n- b\n')).toEqual(['p.yaml:1:1: Invalid input: expected object, received array']);
  });

  it('refuses aliases that would blow a small file up into a huge document', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefghij'.split('').map(
        (k, i) =>
          `${k}: &${k} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(', ')}]`,
      ),
    ];
    expect(problemsOf(`${bomb.join('\n')}\n`)[0]).toMatch(/^p\.yaml: Excessive alias count/);
  });

  describe('a folder of files', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'flywheel-project-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const dataset = (name: string) => `datasets:\n  - name: ${name}\n    contract: { columns: [{ name: id, type: string }] }\n`;

    it('reads every .yaml and .yml file as one project, in name order', async () => {
      writeFileSync(join(dir, 'b.yml'), dataset('second'));
      writeFileSync(join(dir, 'a.yaml'), dataset('first'));
      writeFileSync(join(dir, 'notes.txt'), 'not a project');
      const project = await loadProject(dir);
      expect(project.datasets.map((d) => [d.definition.name, d.source])).toEqual([
        ['first', `${join(dir, 'a.yaml')}:2:5`],
        ['second', `${join(dir, 'b.yml')}:2:5`],
      ]);
    });

    it('refuses a name defined twice, naming both places', async () => {
      writeFileSync(join(dir, 'a.yaml'), dataset('churn'));
      writeFileSync(join(dir, 'b.yaml'), dataset('churn'));
      await expect(loadProject(dir)).rejects.toThrow(
        `${join(dir, 'b.yaml')}:2:5: datasets "churn" is defined twice (first at ${join(dir, 'a.yaml')}:2:5)`,
      );
    });

    it('collects the problems of every file', async () => {
      writeFileSync(join(dir, 'a.yaml'), 'datasets: 3\n');
      writeFileSync(join(dir, 'b.yaml'), 'models: [{ name: m, tags: { team: 1 } }]\n');
      const error = await loadProject(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProjectError);
      expect((error as ProjectError).problems).toEqual([
        `${join(dir, 'a.yaml')}:1:11: datasets: Invalid input: expected array, received number`,
        `${join(dir, 'b.yaml')}:1:35: models[0].tags.team: Invalid input: expected string, received number`,
      ]);
      expect((error as ProjectError).message).toBe('2 problems in the project, each on a line above');
    });

    it('refuses a file larger than a project file may be, and a folder without one', async () => {
      await expect(loadProject(dir)).rejects.toThrow(`${dir}: the folder has no .yaml or .yml file`);
      writeFileSync(join(dir, 'big.yaml'), `# ${'x'.repeat(MAX_PROJECT_FILE_BYTES)}\n`);
      await expect(loadProject(dir)).rejects.toThrow(/big\.yaml: 1048579 bytes, more than the 1048576 a project file may have/);
      await expect(loadProject(join(dir, 'missing.yaml'))).rejects.toThrow('missing.yaml: no such file or folder');
    });
  });
});
