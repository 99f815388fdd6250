import { defaultFitThreads, defaultTrainingWorkers } from './trainer.config';

describe('trainer thread defaults', () => {
  it.each([
    [1, 1, 1],
    [2, 1, 2],
    [8, 7, 1],
    [16, 15, 1],
  ])('%i cores: %i training threads, each fit on %i', (cores, workers, fitThreads) => {
    expect(defaultTrainingWorkers(cores)).toBe(workers);
    expect(defaultFitThreads(defaultTrainingWorkers(cores), cores)).toBe(fitThreads);
  });

  it('gives each of fewer training threads the cores left over', () => {
    expect(defaultFitThreads(2, 8)).toBe(4);
    expect(defaultFitThreads(3, 8)).toBe(2);
  });
});
