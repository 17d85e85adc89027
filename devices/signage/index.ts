export { startSignage, type Signage, type SignageOptions, type SignageOutput } from './run.ts';
export { SignageState, type SignageView, type LevelView } from './state.ts';
export { renderLine, renderScreen } from './render.ts';
