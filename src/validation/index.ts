export { counterNameProblem, assertCounterName, MAX_NAME_BYTES } from './counter-name.js';
export { deltaProblem } from './delta.js';
