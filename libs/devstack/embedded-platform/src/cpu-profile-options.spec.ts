import { join, resolve } from 'node:path';
import { cpuProfileOptions } from './platform-launcher';

describe('cpuProfileOptions', () => {
  it('adds nothing when FLYWHEEL_CPU_PROFILE_DIR is unset', () => {
    expect(cpuProfileOptions(undefined, 'deployer')).toEqual([]);
    expect(cpuProfileOptions('', 'deployer')).toEqual([]);
  });

  it('gives each service a folder of its own under the directory, so profiles say whose they are', () => {
    expect(cpuProfileOptions('profiles', 'deployer')).toEqual(['--cpu-prof', '--cpu-prof-dir', join(resolve('profiles'), 'deployer')]);
    expect(cpuProfileOptions('profiles', 'monitor')[2]).not.toBe(cpuProfileOptions('profiles', 'deployer')[2]);
  });
});
