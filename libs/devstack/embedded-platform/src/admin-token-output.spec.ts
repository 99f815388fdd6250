import { adminTokenLines } from './admin-token-output';

describe('adminTokenLines', () => {
  const token = 'fw_0123456789abcdefghijklmnopqrstuv';

  it('shows the token on a terminal', () => {
    const lines = adminTokenLines(token, { terminal: true });
    expect(lines).toContain(`    ${token}`);
  });

  it('prints only the path of the file when the output is not a terminal (a log file others may read)', () => {
    const lines = adminTokenLines(token, { file: '/srv/flywheel/.flywheel/admin-token' });
    expect(lines.join('\n')).not.toContain(token);
    expect(lines.join('\n')).not.toContain('fw_');
    expect(lines).toContain(
      'Admin token written to /srv/flywheel/.flywheel/admin-token (mode 0600; output is not a terminal, so it is not printed).',
    );
  });
});
