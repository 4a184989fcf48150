export * from './addresses.js';
export * from './build.js';
export * from './dissect.js';
