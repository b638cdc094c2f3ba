export { CountdKeys } from './countd-keys.js';
