export { StorageLayout, type CounterLocation, type NodeLocator } from './storage-layout.js';
