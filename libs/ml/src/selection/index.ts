export { type HalvingOptions, type HalvingRound, halvingRounds } from './halving';
export { type Fold, type KFoldOptions, type Split, type SplitOptions, kFold, splitIndices } from './split';
export {
  type ParamDistribution,
  type ParamRange,
  type ParamValue,
  type Params,
  type SearchOptions,
  type SearchOutcome,
  type SearchResult,
  gridCandidates,
  gridSearch,
  randomCandidates,
  randomSearch,
} from './search';
