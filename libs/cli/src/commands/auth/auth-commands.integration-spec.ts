import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken } from '@flywheel/platform';
import { runFlywheelSync } from '@flywheel/testing';

let dir: string;
let tokensFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flywheel-auth-'));
  tokensFile = join(dir, 'tokens.json');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stored = () => JSON.parse(readFileSync(tokensFile, 'utf8')).tokens as Array<{ team: string; roles: string[]; sha256: string }>;

describe('flywheel auth', () => {
  it('init creates one admin token, stores only its hash, and creates nothing the second time', () => {
    const first = runFlywheelSync(['auth', 'init', '--tokens-file', tokensFile, '--json']);
    expect(first.code).toBe(0);
    const { created, token } = JSON.parse(first.stdout);
    expect(created).toBe(true);
    expect(readFileSync(tokensFile, 'utf8')).not.toContain(token);
    expect(stored()).toEqual([expect.objectContaining({ roles: ['admin'], sha256: hashToken(token) })]);
    expect(statSync(tokensFile).mode & 0o777).toBe(0o600);

    const second = runFlywheelSync(['auth', 'init', '--tokens-file', tokensFile]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/already has an admin token/);
    expect(stored()).toHaveLength(1);
  });

  it('issue adds a team token with its roles and shows it once', () => {
    const run = runFlywheelSync(['auth', 'issue', '--tokens-file', tokensFile, '--team', 'fraud', '--role', 'write,promote']);
    expect(run.code).toBe(0);
    const token = /^\s+(fw_\S+)$/m.exec(run.stdout)![1];
    expect(stored()).toContainEqual(expect.objectContaining({ team: 'fraud', roles: ['write', 'promote'], sha256: hashToken(token) }));
  });

  it('refuses an unknown role with one line and exit code 2', () => {
    const run = runFlywheelSync(['auth', 'issue', '--tokens-file', tokensFile, '--team', 'x', '--role', 'boss']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual(['flywheel: auth issue: --role: unknown role boss (use read, write, promote, admin)']);
  });
});
