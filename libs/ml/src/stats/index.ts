export { erf, erfc, normalCdf, normalSf } from './normal';
export { logGamma, gammaP, gammaQ, chiSquareSf } from './gamma';
export { kolmogorovSmirnovSf, smirnovSf, probOutsideSquare, probOutsideBand } from './kolmogorov';
export { accurateMean, CompensatedSum, meanAndStd } from './summation';
export { sortNumbers } from './sort-numbers';
