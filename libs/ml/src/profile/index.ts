export * from './profile';
export * from './window';
export * from './sketch-drift';
