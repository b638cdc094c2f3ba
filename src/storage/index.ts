export { StorageLayout, type CounterLocation, type NodeLocator } from './storage-layout.js';
export {
  DEFAULT_LISTPACK_ENTRIES,
  FIT_GROWTH,
  fittedBuckets,
  listpackEntriesOf,
  measureNodeFill,
  safeMeanFields,
  type NodeFill,
} from './bucket-fit.js';
