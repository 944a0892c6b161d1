export * from './kinds.js';
export * from './fields.js';
export * from './event.js';
