export * from './checksum.js';
export * from './hash.js';
export * from './meter.js';
